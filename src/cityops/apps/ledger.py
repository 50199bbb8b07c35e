"""The application ledger (应用台账): an application's record, its status 编目 → 入账 → 上线 → 贯通实战
moved by people with a reason (a transition table), where it is deployed, and its registration when a
bundle is installed. 贯通实战 is never set by hand without real use at three levels (apps/usage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cityops.apps.models import App, AppDeployment, AppStatusLog
from cityops.core import audit, clock
from cityops.core.actor import STAFF_ROLES, Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.workflow.engine import Flow

if TYPE_CHECKING:
    from cityops.apps.bundle_files import Bundle

STATUSES = ("catalogued", "listed", "launched", "connected")
STATUS_NAMES = {
    "catalogued": ("编目", "Catalogued"),
    "listed": ("入账", "In the ledger"),
    "launched": ("上线", "Launched"),
    "connected": ("贯通实战", "Connected, in real use"),
}
# The six systems (六大系统). The reports never list them; these are the names official Chongqing material
# usually gives (reference/seeds-1361.md §2.3, marked unverified there). None = 未归类.
FAMILIES = {
    "party": ("数字党建", "Digital Party building"),
    "government": ("数字政务", "Digital government"),
    "economy": ("数字经济", "Digital economy"),
    "society": ("数字社会", "Digital society"),
    "culture": ("数字文化", "Digital culture"),
    "rule_of_law": ("数字法治", "Digital rule of law"),
}
LEVELS = {"city": ("市级", "City"), "district": ("区县", "District"), "street": ("镇街", "Street")}
FLOW = Flow(
    "app",
    {
        ("catalogued", "list"): "listed",
        ("listed", "launch"): "launched",
        ("launched", "connect"): "connected",
        ("connected", "disconnect"): "launched",
        ("launched", "suspend"): "listed",
        ("listed", "unlist"): "catalogued",
    },
)
ACTION_NAMES = {
    "list": ("登记入账", "Enter in the ledger"),
    "launch": ("上线运行", "Launch"),
    "connect": ("认定贯通实战", "Confirm connected"),
    "disconnect": ("退回上线", "Back to launched"),
    "suspend": ("下线", "Take offline"),
    "unlist": ("退出台账", "Remove from the ledger"),
}
EDITORS = (Role.sysadmin, Role.app_admin)


class AppNotFound(NotFound):
    message = "应用不存在 / Application not found."
    default_code = "apps.not_found"


@dataclass(frozen=True)
class AppFilter:
    family: str | None = None
    status: str | None = None
    level: str | None = None
    q: str | None = None


def list_apps(f: AppFilter) -> Select[App]:
    stmt = select(App)
    if f.family == "none":
        stmt = stmt.where(App.family.is_(None))
    elif f.family:
        stmt = stmt.where(App.family == f.family)
    if f.status:
        stmt = stmt.where(App.status == f.status)
    if f.level:
        stmt = stmt.where(App.level == f.level)
    if f.q:
        stmt = stmt.where(App.name.contains(f.q) | App.name_en.contains(f.q) | App.code.contains(f.q))
    return stmt.order_by(App.name)


def require_reader(actor: Actor) -> None:
    """The ledger is the city's: every member of staff reads it (deployments and use are scoped)."""
    if not actor.unit_path or not (actor.roles & STAFF_ROLES):
        raise Forbidden("仅工作人员可查看应用台账 / Staff only.", code="apps.staff_only")


def access_app(session: Session, actor: Actor, app_id: int) -> App:
    require_reader(actor)
    app = session.get(App, app_id)
    if app is None:
        raise AppNotFound(app_id=app_id)
    return app


def by_code(session: Session, code: str) -> App | None:
    return session.scalars(select(App).where(App.code == code)).one_or_none()


def is_city_editor(session: Session, actor: Actor) -> bool:
    city = org.city(session)
    return actor.has(*EDITORS) and (city is None or actor.sees_path(city.path))


def _require_editor(actor: Actor) -> None:
    if not actor.has(*EDITORS):
        raise Forbidden("仅应用管理员可修改应用台账 / Only app admins edit the ledger.", code="apps.editor_required")


def _require_city_editor(session: Session, actor: Actor) -> None:
    """An application's status is the city's record: moved by a city-level app admin."""
    if not is_city_editor(session, actor):
        raise Forbidden(
            "仅市级应用管理员可变更应用状态 / Only city-level app admins move an application's status.",
            code="apps.city_editor_required",
        )


def _log(session: Session, actor: Actor, app: App, before: str | None, after: str, reason: str) -> None:
    now = clock.now()
    session.add(
        AppStatusLog(app_id=app.id, at=now, actor=actor.username, from_status=before, to_status=after, reason=reason)
    )
    app.status, app.updated_at = after, now
    session.flush()
    audit.record(session, actor, "apps.status_moved", app, from_status=before, to_status=after, reason=reason)


def move(session: Session, actor: Actor, app: App, action: str, reason: str, *, connected: bool = False) -> App:
    """Move the app along the table; `connect` needs real use at three levels (`connected`, derived)."""
    _require_city_editor(session, actor)
    reason = reason.strip()
    if not reason:
        raise Invalid("请填写变更原因 / a reason is required", field="reason", code="apps.reason_required")
    if action not in ACTION_NAMES:
        raise Invalid(f"未知操作 / unknown action {action!r}", field="action", code="apps.unknown_action")
    target = FLOW.next_state(app.status, action)
    if action == "connect" and not connected:
        raise Conflict(
            "近30天未在市、区县、镇街三级均有使用，不能认定贯通实战 / not in use at all three levels",
            code="apps.not_connected",
            field="action",
        )
    _log(session, actor, app, app.status, target, reason)
    return app


def create(session: Session, actor: Actor, code: str, name: str, fields: dict[str, Any]) -> App:
    """Catalogue (编目) an application that no bundle brings, e.g. one running outside the platform."""
    _require_city_editor(session, actor)
    if by_code(session, code) is not None:
        raise Conflict(f"应用代码 {code} 已存在 / code {code} is taken", field="code", code="apps.code_taken")
    now, city = clock.now(), org.city(session)
    app = App(code=code, name=name, status="catalogued", created_at=now, updated_at=now)
    app.owner_unit_id = city.id if city else None
    for key, value in fields.items():
        setattr(app, key, value)
    session.add(app)
    session.flush()
    _log(session, actor, app, None, "catalogued", "登记编目 / catalogued by hand")
    return app


def update(session: Session, actor: Actor, app: App, changes: dict[str, Any]) -> App:
    """Edit the record (name, system, owner, the national information-system fields); audited."""
    _require_city_editor(session, actor)
    before = {k: getattr(app, k) for k in changes}
    for key, value in changes.items():
        setattr(app, key, value)
    app.updated_at = clock.now()
    session.flush()
    audit.record(session, actor, "apps.updated", app, before=before, after=changes)
    return app


def allowed_actions(session: Session, app: App, actor: Actor) -> list[str]:
    return FLOW.allowed(app.status) if is_city_editor(session, actor) else []


def history(session: Session, app: App) -> list[AppStatusLog]:
    return list(session.scalars(select(AppStatusLog).where(AppStatusLog.app_id == app.id).order_by(AppStatusLog.id)))


# -- deployment ------------------------------------------------------------------------------------------
def deployments(session: Session, actor: Actor, app: App) -> list[tuple[AppDeployment, OrgUnit]]:
    stmt = (
        select(AppDeployment, OrgUnit)
        .join(OrgUnit, OrgUnit.id == AppDeployment.unit_id)
        .where(AppDeployment.app_id == app.id)
    )
    stmt = org.scoped(stmt, AppDeployment.unit_path, actor)
    return [(d, u) for d, u in session.execute(stmt.order_by(AppDeployment.unit_path)).all()]


def deploy(session: Session, actor: Actor, app: App, unit_id: int) -> AppDeployment:
    _require_editor(actor)
    unit = org.access_unit(session, actor, unit_id)
    if unit.level not in LEVELS:
        raise Invalid("只能部署到市、区县或镇街 / city, district or street only", field="unit", code="apps.bad_unit")
    row = session.scalars(
        select(AppDeployment).where(AppDeployment.app_id == app.id, AppDeployment.unit_id == unit.id)
    ).one_or_none()
    if row is not None:
        return row
    row = AppDeployment(
        app_id=app.id,
        unit_id=unit.id,
        unit_path=unit.path,
        level=unit.level,
        deployed_at=clock.now(),
        deployed_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "apps.deployed", app, unit=unit.name, level=unit.level)
    return row


def undeploy(session: Session, actor: Actor, app: App, deployment_id: int) -> None:
    _require_editor(actor)
    row = session.get(AppDeployment, deployment_id)
    if row is None or row.app_id != app.id or not actor.sees_path(row.unit_path):
        raise NotFound("部署记录不存在 / no such deployment", code="apps.deployment_not_found")
    audit.record(session, actor, "apps.undeployed", app, unit_id=row.unit_id)
    session.delete(row)
    session.flush()


# -- registration by bundles -----------------------------------------------------------------------------
def _ledger_values(meta: dict[str, Any]) -> dict[str, Any]:
    launched = meta.get("launched_on")
    if isinstance(launched, str):
        launched = date.fromisoformat(launched)
    family = meta.get("family")
    return {
        "name": str(meta.get("name") or meta["key"]),
        "name_en": str(meta.get("name_en") or ""),
        "family": family if family in FAMILIES else None,
        "level": str(meta.get("level") or "city"),
        "owner_department": meta.get("owner_department"),
        "description": str(meta.get("description") or ""),
        "security_level": meta.get("security_level"),
        "funding_source": meta.get("funding_source"),
        "launched_on": launched,
        "operator": meta.get("operator"),
        "offers_api": bool(meta.get("offers_api")),
    }


def register_bundle(session: Session, actor: Actor, bundle: Bundle, was: int | None) -> App:
    """A bundle's installation enters its application in the ledger (入账); an upgrade fills only the
    fields the city left empty, so what the ledger's keepers wrote stays."""
    values = _ledger_values(bundle.meta)
    app = by_code(session, bundle.key)
    now = clock.now()
    if app is None:
        city = org.city(session)
        app = App(code=bundle.key, status="catalogued", created_at=now, updated_at=now, **values)
        app.owner_unit_id = city.id if city else None
        session.add(app)
        session.flush()
        app.bundle_key = bundle.key
        _log(session, actor, app, None, "catalogued", f"安装应用包 {bundle.key} v{bundle.version}，编目")
        _log(session, actor, app, "catalogued", "listed", f"应用包已安装到平台，登记入账 / installed v{bundle.version}")
        return app
    for name, value in values.items():
        if getattr(app, name) in (None, "") and value not in (None, ""):
            setattr(app, name, value)
    app.bundle_key, app.updated_at = bundle.key, now
    if app.status == "catalogued":
        _log(session, actor, app, "catalogued", "listed", f"安装应用包 v{bundle.version}，登记入账")
    elif was is not None and was != bundle.version:
        audit.record(session, actor, "apps.bundle_version", app, version_from=was, version_to=bundle.version)
    return app


def unregister_bundle(session: Session, actor: Actor, key: str, *, archived: bool) -> None:
    app = by_code(session, key)
    if app is None:
        return
    if archived:
        note = "应用包已归档：内容保留，不再随包升级 / bundle archived, content kept"
        session.add(
            AppStatusLog(
                app_id=app.id,
                at=clock.now(),
                actor=actor.username,
                from_status=app.status,
                to_status=app.status,
                reason=note,
            )
        )
        return
    app.bundle_key = None
    if app.status != "catalogued":
        _log(session, actor, app, app.status, "catalogued", f"卸载应用包 {key}，退出台账 / bundle uninstalled")
