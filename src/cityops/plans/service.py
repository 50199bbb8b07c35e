"""Plan configurations at three levels: create, change (each change is a new version), remove an
override, resolve the effective plan for a place, YAML import and export, and the default plans."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.cache import VersionedCache
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.core.todo import TodoItem
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.plans import spec as specs
from cityops.plans.models import Plan, PlanVersion

EDITORS = (Role.dispatcher, Role.leader, Role.app_admin, Role.sysadmin)


class PlanNotFound(NotFound):
    message = "预案不存在 / Plan not found."
    default_code = "plan.not_found"


@dataclass(frozen=True)
class Config:
    id: int
    key: str
    unit_id: int
    unit_path: str
    level: str
    version: int
    spec: dict[str, Any]


@dataclass
class PlanIndex:
    by_key: dict[str, list[Config]] = field(default_factory=dict)
    effective: dict[tuple[int, ...], specs.EffectivePlan | None] = field(default_factory=dict)


def _signature(session: Session) -> Hashable:
    n, top, versions = session.execute(select(func.count(Plan.id), func.max(Plan.id), func.sum(Plan.version))).one()
    return int(n or 0), int(top or 0), int(versions or 0)


def _build(session: Session, sig: Hashable) -> PlanIndex:
    index = PlanIndex()
    for p in session.scalars(select(Plan).order_by(Plan.unit_path)):
        index.by_key.setdefault(p.key, []).append(
            Config(p.id, p.key, p.unit_id, p.unit_path, p.level, p.version, dict(p.spec))
        )
    return index


_CACHE: VersionedCache[PlanIndex] = VersionedCache(_signature, _build)


@dataclass(frozen=True)
class Resolved:
    plan: specs.EffectivePlan
    levels: list[Config]

    @property
    def most_specific(self) -> Config:
        return self.levels[-1]


def keys(session: Session) -> list[str]:
    return sorted(_CACHE.get(session).by_key)


def resolve(session: Session, key: str, unit_path: str) -> Resolved | None:
    """The effective plan `key` for a place: the city template merged with the overrides of the units
    above and at the place, most specific last. None if there is no template or the result is invalid."""
    index = _CACHE.get(session)
    levels = [c for c in index.by_key.get(key, []) if unit_path.startswith(c.unit_path)]
    if not levels or levels[0].level != "city":
        return None
    cache_key = tuple(c.id * 100_000 + c.version for c in levels)
    if cache_key not in index.effective:
        try:
            index.effective[cache_key] = specs.validate_effective({**specs.merge([c.spec for c in levels]), "key": key})
        except Invalid:
            index.effective[cache_key] = None  # an override that no longer fits its template: the UI shows it
    plan = index.effective[cache_key]
    return Resolved(plan, levels) if plan is not None else None


def visible(actor: Actor) -> Any:
    """Configurations an actor may read: its own subtree's and those of the units above it."""
    from sqlalchemy import literal, or_

    if not actor.unit_path:
        return literal(False)
    above = [actor.unit_path[: i + 1] for i, ch in enumerate(actor.unit_path) if ch == "/" and i > 0]
    return or_(org.in_subtree(Plan.unit_path, actor.unit_path), Plan.unit_path.in_(above))


def access(session: Session, actor: Actor, plan_id: int) -> Plan:
    return one_or_raise(session, select(Plan).where(Plan.id == plan_id, visible(actor)), PlanNotFound(plan_id=plan_id))


def _check_editor(actor: Actor, unit: OrgUnit) -> None:
    if not actor.has(*EDITORS):
        raise Forbidden(
            "无权配置预案 / Your role may not configure plans.",
            needs=[r.value for r in EDITORS],
            code="plan.role_required",
        )
    if not actor.sees_path(unit.path):
        raise Forbidden(
            "只能配置本级及下级的预案 / You may configure plans of your own unit and below only.",
            code="plan.outside_jurisdiction",
        )


def _validated(session: Session, key: str, unit: OrgUnit, spec: dict[str, Any]) -> dict[str, Any]:
    """Check a configuration by merging it with what the levels above say."""
    spec = {k: v for k, v in spec.items() if k != "key"}
    if unit.level not in specs.LEVELS:
        raise Invalid(
            "预案只在市、区县、镇街三级配置 / Plans are configured at city, district or street level",
            field="unit",
            code="plan.invalid_unit",
        )
    if unit.level == "city":
        specs.validate_effective({**spec, "key": key})
        return spec
    specs.check_override(spec)
    above = [
        c
        for c in _CACHE.get(session).by_key.get(key, [])
        if unit.path.startswith(c.unit_path) and c.unit_path != unit.path
    ]
    if not above or above[0].level != "city":
        raise Conflict(
            f"请先配置市级模板 / No city template for plan {key!r}", field="key", code="plan.no_city_template"
        )
    specs.validate_effective({**specs.merge([c.spec for c in above] + [spec]), "key": key})
    return spec


def _check_overrides_below(session: Session, key: str, unit: OrgUnit, spec: dict[str, Any]) -> None:
    """A change to a template or an override must leave every override beneath it valid; otherwise the
    plan would silently stop starting there."""
    configs = _CACHE.get(session).by_key.get(key, [])
    broken = []
    for below in (c for c in configs if c.unit_path.startswith(unit.path) and c.unit_path != unit.path):
        chain = [c for c in configs if below.unit_path.startswith(c.unit_path)]
        merged = specs.merge([spec if c.unit_path == unit.path else c.spec for c in chain])
        try:
            specs.validate_effective({**merged, "key": key})
        except Invalid as exc:
            broken.append({"plan_id": below.id, "level": below.level, "unit_id": below.unit_id, "reason": exc.detail})
    if broken:
        raise Conflict(
            "此修改会使下级预案失效，请先调整下级配置 / The change breaks overrides below",
            broken=broken,
            code="plan.breaks_overrides",
        )


def save(session: Session, actor: Actor, key: str, unit: OrgUnit, spec: dict[str, Any]) -> tuple[Plan, bool]:
    """Create the configuration of `key` at `unit`, or change it (a new version). Returns (plan, created)."""
    _check_editor(actor, unit)
    if not key or len(key) > 64 or not key.replace("_", "").isalnum():
        raise Invalid(
            "key 只能含字母、数字和下划线 / key: letters, digits and _ only", field="key", code="plan.invalid_key"
        )
    spec = _validated(session, key, unit, spec)
    _check_overrides_below(session, key, unit, spec)
    now = clock.now()
    plan = session.scalars(select(Plan).where(Plan.key == key, Plan.unit_id == unit.id)).one_or_none()
    created = plan is None
    if plan is None:
        plan = Plan(key=key, unit_id=unit.id, unit_path=unit.path, level=unit.level, spec=spec, version=1)
        session.add(plan)
    elif plan.spec == spec:
        return plan, False
    else:
        plan.spec, plan.version = spec, plan.version + 1
    plan.updated_at, plan.updated_by = now, actor.username
    session.flush()
    session.add(
        PlanVersion(plan_id=plan.id, version=plan.version, spec=spec, created_at=now, created_by=actor.username)
    )
    audit.record(session, actor, "plan.saved", plan, key=key, unit=unit.name, version=plan.version)
    _CACHE.invalidate()
    return plan, created


def remove_override(session: Session, actor: Actor, plan: Plan) -> None:
    unit = session.get(OrgUnit, plan.unit_id)
    assert unit is not None
    _check_editor(actor, unit)
    if plan.level == "city":
        raise Conflict(
            "市级模板不能删除，可设 enabled: false 停用 / A city template cannot be removed; disable it",
            code="plan.template_not_removable",
        )
    audit.record(session, actor, "plan.removed", plan, key=plan.key, unit=unit.name, version=plan.version)
    session.delete(plan)
    session.flush()
    _CACHE.invalidate()


def export(session: Session, actor: Actor, key: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Plan, OrgUnit.code).join(OrgUnit, OrgUnit.id == Plan.unit_id).where(visible(actor))
    if key:
        stmt = stmt.where(Plan.key == key)
    rows = session.execute(stmt.order_by(Plan.key, Plan.unit_path)).all()
    return [{"key": p.key, "unit": code, **p.spec} for p, code in rows]


def import_items(session: Session, actor: Actor, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Upsert each item; the city templates first so overrides in the same file find them. Items
    that fail are reported by position with the reason, the others are saved."""
    created = changed = unchanged = 0
    errors: list[dict[str, Any]] = []
    units: dict[int, OrgUnit | None] = {}
    for i, item in enumerate(items):
        units[i] = org.get_by_code(session, str(item.get("unit", ""))) if item.get("unit") else org.city(session)
    order = sorted(range(len(items)), key=lambda i: len(units[i].path) if units[i] is not None else 0)  # type: ignore[union-attr]
    for i in order:
        item, unit = items[i], units[i]
        if unit is None:
            errors.append({"index": i, "key": item.get("key"), "field": "unit", "reason": "单位不存在 / unknown unit"})
            continue
        key = str(item.get("key", ""))
        before = session.scalar(select(Plan.version).where(Plan.key == key, Plan.unit_id == unit.id))
        try:
            with session.begin_nested():
                spec = {k: v for k, v in item.items() if k not in ("key", "unit")}
                plan, was_created = save(session, actor, key, unit, spec)
        except (Invalid, Conflict, Forbidden) as exc:
            errors.append({"index": i, "key": key, "field": exc.data.get("field"), "reason": exc.detail})
            continue
        if was_created:
            created += 1
        elif plan.version != before:
            changed += 1
        else:
            unchanged += 1
    return {"created": created, "changed": changed, "unchanged": unchanged, "errors": errors}


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """待办 from plans: direct reports the actor's centre has not acknowledged (urgent, due within the
    acknowledgement window), and open plan tasks for the actor's department or centre."""
    from datetime import timedelta

    from cityops.core.hooks import hooks_of
    from cityops.events.models import Event
    from cityops.plans import direct, runs

    items: list[TodoItem] = []
    window = timedelta(minutes=hooks_of(session).settings.ack_minutes)
    for notice, report in direct.unacknowledged(session, actor):
        items.append(
            TodoItem(
                kind="plan.ack",
                kind_label="待确认直报 / Direct report to acknowledge",
                title=("【演练】" if report.is_drill else "") + f"突发事件直报：{report.title}",
                url=f"/events/{report.event_id}" if report.event_id else "/direct-report",
                unit_name=_unit_name(session, report.unit_id),
                due_at=notice.first_notified_at + window,
                urgent=True,
                ref=report.ref,
            )
        )
    if actor.has(*runs.STEP_ACTORS):
        tasks = session.execute(runs.my_tasks(actor).limit(200)).all()
        # A task is named by the event its plan answers (the step's key is a code, not for people).
        event_ids = {run.event_id for _, run in tasks if run.event_id}
        refs: dict[int, str] = {}
        if event_ids:
            refs = {
                eid: ref for eid, ref in session.execute(select(Event.id, Event.ref).where(Event.id.in_(event_ids)))
            }
        for step, run in tasks:
            items.append(
                TodoItem(
                    kind="plan.task",
                    kind_label="预案任务 / Plan task",
                    title=("【演练】" if run.is_drill else "") + f"{run.name}：{step.title}",
                    url=f"/events/{run.event_id}" if run.event_id else f"/plan-runs/{run.id}",
                    unit_name=_unit_name(session, step.unit_id),
                    due_at=step.due_at,
                    urgent=step.overdue,
                    ref=refs.get(run.event_id, "") if run.event_id else "",
                )
            )
    return items


def _unit_name(session: Session, unit_id: int) -> str:
    unit = session.get(OrgUnit, unit_id)
    return unit.name if unit else ""


def invalidate() -> None:
    """Plans written outside `save` (an app bundle removing templates) call this."""
    _CACHE.invalidate()
