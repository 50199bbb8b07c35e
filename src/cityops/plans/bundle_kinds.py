"""Plans as app-bundle content: a bundle brings the city templates (预案 at the city level). District and
street overrides are the city's own configuration: an upgrade changes the template beneath them and keeps
them, and an uninstall names them as what depends on the template."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.plans import service
from cityops.plans.models import Plan, PlanRun


def _key(item: Item) -> str:
    return str(item["key"])


def _city(session: Session) -> OrgUnit:
    city = org.city(session)
    if city is None:
        raise RuntimeError("import the org tree before installing plans")
    return city


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    rows = session.scalars(select(Plan).where(Plan.key.in_(keys), Plan.level == "city"))
    return {p.key: {"key": p.key, **p.spec} for p in rows}


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    city = _city(session)
    for item in items:
        spec = {k: v for k, v in item.items() if k not in ("key", "unit")}
        service.save(session, actor, _key(item), city, spec)


def dependents(session: Session, keys: list[str]) -> list[str]:
    found = []
    runs = session.execute(
        select(PlanRun.name, func.count(PlanRun.id))
        .where(PlanRun.plan_key.in_(keys), PlanRun.status == "open")
        .group_by(PlanRun.name)
    ).all()
    found += [f"「{name}」进行中的预案处置 {n} 起 / {n} open runs of {name}" for name, n in runs]
    overrides = session.execute(
        select(Plan.key, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Plan.unit_id)
        .where(Plan.key.in_(keys), Plan.level != "city")
    ).all()
    found += [f"{unit}的预案「{key}」下级配置 / {unit}'s override of plan {key}" for key, unit in overrides]
    return found


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    """Templates no run used are deleted; used ones are disabled (runs keep pointing at them)."""
    city = _city(session)
    for plan in session.scalars(select(Plan).where(Plan.key.in_(keys), Plan.level == "city")):
        used = session.scalar(select(PlanRun.id).where(PlanRun.plan_id == plan.id).limit(1)) is not None
        if used:
            service.save(session, actor, plan.key, city, {**plan.spec, "enabled": False})
        else:
            audit.record(session, actor, "plan.removed", plan, key=plan.key, unit=city.name, version=plan.version)
            session.delete(plan)
    session.flush()
    service.invalidate()


def kinds() -> list[KindHandler]:
    return [
        KindHandler("plans", "预案（市级模板）", "Plans (city templates)", 50, read, write, dependents, remove, _key)
    ]
