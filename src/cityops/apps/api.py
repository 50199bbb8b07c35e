"""Routes of the application ledger and of app bundles (install, upgrade, uninstall; dry runs show the
diff). Bundles are installed by key from the shipped folder; a city's own folder installs from the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from cityops.apps import bundles, ledger, usage, views
from cityops.apps.bundle_files import load_shipped
from cityops.apps.schemas import (
    AppCreate,
    AppDetail,
    AppPage,
    AppUpdate,
    BundleRead,
    BundleReport,
    DeploymentIn,
    DeploymentRead,
    StatusIn,
)
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute

router = APIRouter(prefix="/api", tags=["apps"], route_class=TransactionalRoute)
DryRun = Annotated[bool, Query(description="show the diff without changing anything")]


@router.get("/apps", response_model=AppPage)
def list_apps(
    session: SessionDep,
    actor: ActorDep,
    family: Annotated[str | None, Query(max_length=24)] = None,
    status: Annotated[str | None, Query(pattern="^(catalogued|listed|launched|connected)$")] = None,
    level: Annotated[str | None, Query(pattern="^(city|district|street)$")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> AppPage:
    ledger.require_reader(actor)
    stmt = ledger.list_apps(ledger.AppFilter(family=family, status=status, level=level, q=q))
    items = [views.read_app(a) for a in session.scalars(stmt.limit(500))]
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    return AppPage(items=items, total=total, figures=views.ledger_figures(session))


@router.post("/apps", response_model=AppDetail, status_code=201)
def create_app(body: AppCreate, session: SessionDep, actor: ActorDep) -> AppDetail:
    fields = body.model_dump(exclude={"code", "name"}, exclude_none=True)
    return views.detail(session, actor, ledger.create(session, actor, body.code, body.name, fields))


@router.get("/apps/{app_id}", response_model=AppDetail)
def get_app(
    app_id: int,
    session: SessionDep,
    actor: ActorDep,
    days: Annotated[int, Query(ge=1, le=366, description="the period of use, ending now")] = 30,
) -> AppDetail:
    return views.detail(session, actor, ledger.access_app(session, actor, app_id), days=days)


@router.patch("/apps/{app_id}", response_model=AppDetail)
def update_app(app_id: int, body: AppUpdate, session: SessionDep, actor: ActorDep) -> AppDetail:
    app = ledger.access_app(session, actor, app_id)
    ledger.update(session, actor, app, body.model_dump(exclude_unset=True))
    return views.detail(session, actor, app)


@router.post("/apps/{app_id}/status", response_model=AppDetail)
def move_status(app_id: int, body: StatusIn, session: SessionDep, actor: ActorDep) -> AppDetail:
    app = ledger.access_app(session, actor, app_id)
    connected = body.action == "connect" and usage.usage(session, app).connected
    ledger.move(session, actor, app, body.action, body.reason, connected=connected)
    return views.detail(session, actor, app)


@router.post("/apps/{app_id}/deployments", response_model=DeploymentRead, status_code=201)
def deploy(app_id: int, body: DeploymentIn, session: SessionDep, actor: ActorDep) -> DeploymentRead:
    app = ledger.access_app(session, actor, app_id)
    row = ledger.deploy(session, actor, app, body.unit_id)
    return DeploymentRead.model_validate(row)


@router.delete("/apps/{app_id}/deployments/{deployment_id}", status_code=204)
def undeploy(app_id: int, deployment_id: int, session: SessionDep, actor: ActorDep) -> None:
    ledger.undeploy(session, actor, ledger.access_app(session, actor, app_id), deployment_id)


@router.get("/bundles", response_model=list[BundleRead])
def list_bundles(session: SessionDep, actor: ActorDep) -> list[BundleRead]:
    bundles.require_admin(session, actor)
    return [BundleRead.model_validate(b) for b in bundles.status(session)]


@router.post("/bundles/{key}/install", response_model=BundleReport)
def install(key: str, session: SessionDep, actor: ActorDep, dry_run: DryRun = False) -> BundleReport:
    report = bundles.apply(session, actor, load_shipped(key), dry_run=dry_run)
    return BundleReport.model_validate(report.as_dict())


@router.post("/bundles/{key}/upgrade", response_model=BundleReport)
def upgrade(key: str, session: SessionDep, actor: ActorDep, dry_run: DryRun = False) -> BundleReport:
    report = bundles.apply(session, actor, load_shipped(key), upgrade=True, dry_run=dry_run)
    return BundleReport.model_validate(report.as_dict())


@router.post("/bundles/{key}/uninstall", response_model=BundleReport)
def uninstall(
    key: str,
    session: SessionDep,
    actor: ActorDep,
    dry_run: DryRun = False,
    archive: Annotated[bool, Query(description="keep the content, retire the bundle")] = False,
) -> BundleReport:
    report = bundles.uninstall(session, actor, key, archive=archive, dry_run=dry_run)
    return BundleReport.model_validate(report.as_dict())
