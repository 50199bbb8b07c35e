"""Risk points: access (scoped), listing, registration and changes, linked devices and plans, and every
reassessment of a point's level (initial, scheduled, after an alarm or an event, by hand) with its reasons."""

from __future__ import annotations

import secrets
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Forbidden, Invalid, NotFound, one_or_raise
from cityops.core.search import text_or_ref
from cityops.org import geo
from cityops.org import service as org
from cityops.org.models import Department, OrgUnit
from cityops.risks import matrix
from cityops.risks.models import RiskAssessment, RiskCategory, RiskPoint, RiskPointDevice

EDITORS = (Role.dispatcher, Role.leader)  # register and re-level points for their subtree
MAX_CYCLE_DAYS = 366


class PointNotFound(NotFound):
    message = "风险点不存在 / Risk point not found."
    default_code = "risk.point_not_found"


# -- access and listing -------------------------------------------------------------------------------
def visible(actor: Actor) -> Any:
    """A point is seen by the units over its place and by its owner department's staff."""
    return org.in_subtree_or_department(RiskPoint.unit_path, RiskPoint.owner_department_id, actor)


def visible_through_point(path_col: Any, point_col: Any, actor: Actor) -> Any:
    """Inspections and hazards: in the actor's subtree, or at a point the actor's department owns."""
    clauses = [org.in_subtree(path_col, actor.unit_path)]
    if actor.department_id is not None:
        clauses.append(point_col.in_(select(RiskPoint.id).where(RiskPoint.owner_department_id == actor.department_id)))
    return or_(*clauses)


def access_point(session: Session, actor: Actor, point_id: int) -> RiskPoint:
    return one_or_raise(
        session, select(RiskPoint).where(RiskPoint.id == point_id, visible(actor)), PointNotFound(point_id=point_id)
    )


@dataclass
class PointFilter:
    level: str | None = None
    category: str | None = None  # a category code; a family includes its leaves
    unit_id: int | None = None
    q: str | None = None
    demo: bool | None = None


def list_points(session: Session, actor: Actor, f: PointFilter) -> AnySelect:
    stmt = select(RiskPoint).where(visible(actor), RiskPoint.status == "active")
    if f.level:
        stmt = stmt.where(RiskPoint.level == f.level)
    if f.category:
        stmt = stmt.where(RiskPoint.category_id.in_(category_ids(session, f.category)))
    if f.unit_id is not None:
        stmt = stmt.where(org.in_subtree(RiskPoint.unit_path, org.access_unit(session, actor, f.unit_id).path))
    if f.q:
        stmt = stmt.where(text_or_ref(f.q, (RiskPoint.name, RiskPoint.address), RiskPoint.ref))
    if f.demo is not None:
        stmt = stmt.where(RiskPoint.is_demo.is_(f.demo))
    return stmt.order_by(RiskPoint.score.desc(), RiskPoint.id)


def categories(session: Session) -> list[RiskCategory]:
    return list(session.scalars(select(RiskCategory).order_by(RiskCategory.parent_id.nulls_first(), RiskCategory.sort)))


def category_by_code(session: Session, code: str) -> RiskCategory:
    return one_or_raise(
        session,
        select(RiskCategory).where(RiskCategory.code == code),
        Invalid(f"未知风险类别 / unknown risk category {code!r}", field="category", code="risk.unknown_category"),
    )


def category_ids(session: Session, code: str) -> list[int]:
    """The category and, for a family, its leaves."""
    cat = category_by_code(session, code)
    return [cat.id, *session.scalars(select(RiskCategory.id).where(RiskCategory.parent_id == cat.id))]


def checklist_of(session: Session, point: RiskPoint) -> list[str]:
    cat = session.get(RiskCategory, point.category_id)
    return list(cat.checklist) if cat is not None else []


def device_ids(session: Session, point_id: int) -> list[int]:
    return list(session.scalars(select(RiskPointDevice.device_id).where(RiskPointDevice.point_id == point_id)))


# -- registering ---------------------------------------------------------------------------------------
@dataclass
class PointInput:
    name: str
    category: str
    unit_id: int
    likelihood: int
    consequence: int
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    polygon: dict[str, Any] | None = None
    owner_department_id: int | None = None
    responsible_person: str = ""
    responsible_phone: str = ""
    control_measures: str = ""
    device_codes: tuple[str, ...] = ()
    plan_keys: tuple[str, ...] = ()
    cycle_days: int | None = None
    reasons: str = ""
    is_demo: bool = False


def require_editor(actor: Actor) -> None:
    if not actor.has(*EDITORS):
        raise Forbidden(
            "只有值班员、领导可登记风险点 / Only dispatchers and leaders register risk points",
            code="risk.not_editor",
            needs=[r.value for r in EDITORS],
        )


def _place(item: PointInput) -> tuple[float | None, float | None, dict[str, Any] | None]:
    polygon = item.polygon
    lon, lat = item.lon, item.lat
    if (lon is None) != (lat is None):
        raise Invalid(
            "经纬度须同时提供 / lon and lat go together",
            field="lat" if lat is None else "lon",
            code="risk.invalid_lat",
        )
    if polygon is not None:
        from shapely.geometry import shape

        if polygon.get("type") != "Polygon":
            raise Invalid(
                "范围须为 GeoJSON Polygon / polygon must be a GeoJSON Polygon",
                field="polygon",
                code="risk.invalid_polygon",
            )
        try:
            shp = shape(polygon)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise Invalid(
                "范围坐标无效 / polygon coordinates are invalid", field="polygon", code="risk.invalid_polygon"
            ) from None
        if not shp.is_valid or shp.is_empty:
            raise Invalid(
                "范围自相交或为空 / polygon is self-intersecting or empty",
                field="polygon",
                code="risk.invalid_polygon",
            )
        if lon is None:
            lon, lat = round(shp.centroid.x, 6), round(shp.centroid.y, 6)
    if lon is None and not item.address.strip():
        raise Invalid(
            "请提供坐标、范围或地址 / give lon/lat, a polygon or an address", field="lon", code="risk.invalid_lon"
        )
    if lon is not None and lat is not None:
        geo.check_point(lon, lat)
    return lon, lat, polygon


def _devices(session: Session, actor: Actor, codes: tuple[str, ...]) -> list[int]:
    from cityops.sensing.models import Device

    if not codes:
        return []
    found = dict(
        session.execute(
            select(Device.code, Device.id).where(
                Device.code.in_(codes), org.in_subtree(Device.unit_path, actor.unit_path)
            )
        ).all()
    )
    _refuse_unknown(codes, found, "设备", "device", "device_codes")
    return [int(found[c]) for c in codes]


def _refuse_unknown(given: tuple[str, ...], known: Container[str], zh: str, en: str, field: str) -> None:
    """422 naming the first of `given` that is not `known`; `missing` lists them all."""
    missing = [g for g in given if g not in known]
    if missing:
        raise Invalid(
            f"{zh}不存在 / unknown {en} {missing[0]!r}", field=field, missing=missing, code=f"risk.invalid_{field}"
        )


def _department(session: Session, actor: Actor, department_id: int | None) -> int | None:
    if department_id is None:
        return None
    dept = session.get(Department, department_id)
    if dept is None:
        raise Invalid(
            "部门不存在 / unknown department", field="owner_department_id", code="risk.invalid_owner_department_id"
        )
    return org.access_department(session, actor, department_id).id


def new_ref(now: datetime) -> str:
    return f"FX{now:%Y%m%d}{secrets.token_hex(3).upper()}"


def create_point(session: Session, actor: Actor, item: PointInput, *, trigger: str = "initial") -> RiskPoint:
    require_editor(actor)
    if not item.name.strip():
        raise Invalid("请填写风险点名称 / name is required", field="name", code="risk.invalid_name")
    unit = org.access_unit(session, actor, item.unit_id)
    cat = category_by_code(session, item.category)
    if cat.parent_id is None:
        raise Invalid(
            f"请选择「{cat.name}」下的具体类别 / choose a category under {cat.code}",
            field="category",
            code="risk.category_is_family",
        )
    score, level = matrix.level_of(item.likelihood, item.consequence)
    lon, lat, polygon = _place(item)
    cycle = item.cycle_days or cat.cycle_days
    if not 1 <= cycle <= MAX_CYCLE_DAYS:
        raise Invalid(
            f"巡查周期为 1–{MAX_CYCLE_DAYS} 天 / cycle_days out of range",
            field="cycle_days",
            code="risk.invalid_cycle_days",
        )
    devices = _devices(session, actor, item.device_codes)
    now = clock.now()
    point = RiskPoint(
        ref=new_ref(now),
        name=item.name.strip()[:160],
        category_id=cat.id,
        unit_id=unit.id,
        unit_path=unit.path,
        owner_department_id=_department(session, actor, item.owner_department_id),
        responsible_person=item.responsible_person.strip()[:40],
        responsible_phone=item.responsible_phone.strip()[:20],
        address=item.address.strip()[:300],
        lon=lon,
        lat=lat,
        polygon=polygon,
        control_measures=item.control_measures.strip(),
        plan_keys=_plan_keys(session, item.plan_keys),
        likelihood=item.likelihood,
        consequence=item.consequence,
        score=score,
        level=level,
        cycle_days=cycle,
        review_days=365,
        next_review_at=now + timedelta(days=365),
        is_demo=item.is_demo,
        created_at=now,
        created_by=actor.username,
    )
    session.add(point)
    session.flush()
    for device_id in devices:
        session.add(RiskPointDevice(point_id=point.id, device_id=device_id))
    _record(session, actor, point, trigger, None, item.reasons or "登记时评估 / assessed at registration")
    from cityops.risks import inspections

    inspections.schedule_next(session, point, now)
    audit.record(session, actor, "risk.point_registered", point, ref=point.ref, level=level, score=score)
    return point


def _plan_keys(session: Session, keys: tuple[str, ...]) -> list[str]:
    from cityops.plans import service as plans

    _refuse_unknown(keys, set(plans.keys(session)), "预案", "plan", "plan_keys")
    return list(dict.fromkeys(keys))


# -- levels --------------------------------------------------------------------------------------------
def _record(
    session: Session,
    actor: Actor,
    point: RiskPoint,
    trigger: str,
    previous: str | None,
    reasons: str,
    *,
    alarm_id: int | None = None,
    event_id: int | None = None,
) -> RiskAssessment:
    row = RiskAssessment(
        point_id=point.id,
        at=clock.now(),
        by=actor.username,
        trigger=trigger,
        likelihood=point.likelihood,
        consequence=point.consequence,
        score=point.score,
        level=point.level,
        previous_level=previous,
        reasons=reasons[:2000],
        alarm_id=alarm_id,
        event_id=event_id,
    )
    session.add(row)
    session.flush()
    return row


def reassess(
    session: Session,
    actor: Actor,
    point: RiskPoint,
    *,
    likelihood: int,
    consequence: int,
    trigger: str,
    reasons: str,
    alarm_id: int | None = None,
    event_id: int | None = None,
) -> RiskAssessment:
    """Put the point in a (possibly new) cell of the matrix and keep why; the review clock restarts."""
    if trigger == "manual":
        require_editor(actor)
        if not reasons.strip():
            raise Invalid(
                "重新评估须说明理由 / a reassessment needs its reasons", field="reasons", code="risk.invalid_reasons"
            )
    score, level = matrix.level_of(likelihood, consequence)
    previous = point.level
    point.likelihood, point.consequence, point.score, point.level = likelihood, consequence, score, level
    point.next_review_at = clock.now() + timedelta(days=point.review_days)
    point.version += 1
    row = _record(session, actor, point, trigger, previous, reasons, alarm_id=alarm_id, event_id=event_id)
    audit.record(session, actor, "risk.reassessed", point, trigger=trigger, level=level, previous=previous, score=score)
    if level != previous:
        outbox.add(
            session, "risk.level_changed", point_id=point.id, level=level, previous=previous, unit_path=point.unit_path
        )
    return row


def assessments(session: Session, point_id: int) -> list[RiskAssessment]:
    stmt = select(RiskAssessment).where(RiskAssessment.point_id == point_id)
    return list(session.scalars(stmt.order_by(RiskAssessment.at.desc(), RiskAssessment.id.desc())))


def unit_name(session: Session, unit_id: int) -> str:
    unit = session.get(OrgUnit, unit_id)
    return unit.name if unit else ""


from cityops.risks.todo import todo_items  # noqa: E402  (re-exported: the workspace asks each service)

__all__ = ["todo_items"]
