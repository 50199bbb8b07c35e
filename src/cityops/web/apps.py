"""应用台账 in the browser: the ledger with filters and its runway figures, the installed bundles, and an
application's page (record, status history, deployments, use per level in the last 30 days, and the forms
that move its status with a reason and add or remove deployments). Same services as the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cityops.apps import bundles, ledger, usage, views
from cityops.apps.bundle_files import load_shipped
from cityops.apps.models import App
from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError, Invalid
from cityops.org import service as org
from cityops.web.deps import PageActor, PageForm, PageFormContext
from cityops.web.pages import change_or_show, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/apps", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    family: Annotated[str, Query(max_length=24)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    level: Annotated[str, Query(max_length=12)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    bundle: Annotated[str, Query(max_length=40)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    notice = {"bundle": bundle, "action": done} if done in BUNDLE_ACTIONS else None
    return _ledger_page(
        request,
        session,
        actor,
        ledger.AppFilter(
            family=family if family in ledger.FAMILIES or family == "none" else None,
            status=status if status in ledger.STATUSES else None,
            level=level if level in ledger.LEVELS else None,
            q=q or None,
        ),
        notice=notice,
    )


def _ledger_page(
    request: Request,
    session: Session,
    actor: Actor,
    f: ledger.AppFilter,
    *,
    notice: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    refused: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The ledger; for a city-level admin also the bundles, with a dry run's diff (`preview`) awaiting its
    confirmation, the bundle just changed (`notice`) or why a change was refused (`refused`)."""
    ledger.require_reader(actor)
    apps = [views.read_app(a) for a in session.scalars(ledger.list_apps(f).limit(500))]
    return render(
        request,
        "apps.html",
        status_code=status_code,
        actor=actor,
        apps=apps,
        figures=views.ledger_figures(session),
        bundles=bundles.status(session) if ledger.is_city_editor(session, actor) else [],
        family=f.family or "",
        status=f.status or "",
        level=f.level or "",
        q=f.q or "",
        notice=notice,
        preview=preview,
        refused=refused,
        change_names=bundles.ACTION_NAMES,
        action_names=BUNDLE_ACTIONS,
        done_names=BUNDLE_DONE,
        names=views.names(session),
    )


# What a bundle's buttons do, and how the page names it (Chinese, English).
BUNDLE_ACTIONS = {"install": ("安装", "install"), "upgrade": ("升级", "upgrade"), "uninstall": ("卸载", "uninstall")}
BUNDLE_DONE = {
    "install": ("已安装", "installed"),
    "upgrade": ("已升级", "upgraded"),
    "uninstall": ("已卸载", "uninstalled"),
}


@router.post("/apps/bundles/{key}", response_class=HTMLResponse)
def bundle_action(
    key: str,
    form: PageForm,
    action: Annotated[str, Form(max_length=16)] = "",
    archive: Annotated[bool, Form()] = False,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """A bundle installed, upgraded or uninstalled from the page: first a dry run whose diff the page shows
    with a button to confirm it; the confirmed change is made, or — refused — the page says why."""
    session, actor = form.session, form.actor

    def run(dry_run: bool) -> bundles.Report:
        if action == "uninstall":
            return bundles.uninstall(session, actor, key, archive=archive, dry_run=dry_run)
        if action not in BUNDLE_ACTIONS:
            raise Invalid("未知操作 / unknown action", field="action", code="apps.unknown_bundle_action")
        return bundles.apply(session, actor, load_shipped(key), upgrade=action == "upgrade", dry_run=dry_run)

    try:
        report = run(dry_run=not confirm)
    except CityOpsError as exc:
        session.rollback()
        refused = {"bundle": key, "message": exc.detail}
        return _ledger_page(
            form.request, session, actor, ledger.AppFilter(), refused=refused, status_code=exc.status_code
        )
    if confirm:
        return RedirectResponse(f"/apps?{urlencode({'bundle': key, 'done': action})}#bundles", status_code=303)
    preview = {**report.as_dict(), "action": action, "archive": archive}
    return _ledger_page(form.request, session, actor, ledger.AppFilter(), preview=preview)


def _app_page(
    request: Request, session: Session, actor: Actor, app: App, error: str = "", status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "app.html",
        status_code=status_code,
        actor=actor,
        d=views.detail(session, actor, app),
        may_edit=actor.has(*ledger.EDITORS),  # deployments: within the editor's subtree
        error=error,
        names=views.names(session),
    )


@router.get("/apps/{app_id}", response_class=HTMLResponse)
def app_page(app_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _app_page(request, session, actor, ledger.access_app(session, actor, app_id))


def _on_app(form: PageFormContext, app_id: int, change: Callable[[App], object]) -> Response:
    """A change from an application's page: on to the page, or — refused — the page again with the reason."""
    return change_or_show(
        form.session,
        lambda: ledger.access_app(form.session, form.actor, app_id),
        change,
        lambda app, error, status: _app_page(form.request, form.session, form.actor, app, error, status),
        f"/apps/{app_id}",
    )


@router.post("/apps/{app_id}/status", response_class=HTMLResponse)
def move_status(
    app_id: int,
    form: PageForm,
    action: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    def change(app: App) -> None:
        connected = action == "connect" and usage.usage(form.session, app).connected
        ledger.move(form.session, form.actor, app, action, reason, connected=connected)

    return _on_app(form, app_id, change)


@router.post("/apps/{app_id}/deployments", response_class=HTMLResponse)
def deploy(app_id: int, form: PageForm, unit_code: Annotated[str, Form(max_length=24)] = "") -> Response:
    def change(app: App) -> None:
        unit = org.get_by_code(form.session, unit_code.strip())
        if unit is None or not form.actor.sees_path(unit.path):
            raise Invalid("单位代码不存在 / unknown unit code", field="unit_code", code="apps.unknown_unit")
        ledger.deploy(form.session, form.actor, app, unit.id)

    return _on_app(form, app_id, change)


@router.post("/apps/{app_id}/deployments/{deployment_id}/delete", response_class=HTMLResponse)
def undeploy(app_id: int, deployment_id: int, form: PageForm) -> Response:
    def change(app: App) -> None:
        ledger.undeploy(form.session, form.actor, app, deployment_id)

    return _on_app(form, app_id, change)
