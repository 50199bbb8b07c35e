"""Sites and trucks: access (scoped), registration (a truck's GPS channels are registered as sensing
devices), lists, and today's tracks for the map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events.calendar import CST
from cityops.muck.defaults import CHANNELS
from cityops.muck.models import MuckSite, TrackPoint, Truck, Violation
from cityops.org import geo
from cityops.org import service as org
from cityops.org.models import OrgUnit

EDITORS = (Role.dispatcher, Role.leader, Role.app_admin, Role.sysadmin, Role.data_admin)
SITE_KINDS = {"construction": "建筑工地", "disposal": "消纳场"}


class SiteNotFound(NotFound):
    message = "场地不存在 / Site not found."
    default_code = "muck.site_not_found"


class TruckNotFound(NotFound):
    message = "车辆不存在 / Truck not found."
    default_code = "muck.truck_not_found"


def _require_editor(actor: Actor) -> None:
    if not actor.has(*EDITORS):
        raise Forbidden("只有值班员、领导或管理员可登记 / only duty staff and admins register", code="muck.not_editor")


def sites(actor: Actor) -> AnySelect:
    return (
        select(MuckSite)
        .where(org.in_subtree(MuckSite.unit_path, actor.unit_path))
        .order_by(MuckSite.kind, MuckSite.name)
    )


def trucks(actor: Actor) -> AnySelect:
    return select(Truck).where(org.in_subtree(Truck.unit_path, actor.unit_path)).order_by(Truck.plate)


def access_truck(session: Session, actor: Actor, truck_id: int) -> Truck:
    return one_or_raise(
        session,
        select(Truck).where(Truck.id == truck_id, org.in_subtree(Truck.unit_path, actor.unit_path)),
        TruckNotFound(truck_id=truck_id),
    )


def licensed_sites(session: Session, on: date) -> list[MuckSite]:
    """Every active site whose licence holds on that day: a truck may stand inside any of them."""
    return [
        s
        for s in session.scalars(select(MuckSite).where(MuckSite.status == "active"))
        if s.licensed_until is None or s.licensed_until >= on
    ]


@dataclass
class SiteInput:
    kind: str
    name: str
    unit_id: int
    lon: float
    lat: float
    radius_m: float = 150.0
    polygon: dict[str, Any] | None = None
    address: str = ""
    license_no: str = ""
    licensed_until: date | None = None
    is_demo: bool = False


def register_site(session: Session, actor: Actor, item: SiteInput) -> MuckSite:
    _require_editor(actor)
    if item.kind not in SITE_KINDS:
        raise Invalid("场地类型须为 construction 或 disposal / unknown kind", field="kind", code="muck.invalid_kind")
    if not item.name.strip():
        raise Invalid("请填写场地名称 / name is required", field="name", code="muck.invalid_name")
    if not 10 <= item.radius_m <= 5000:
        raise Invalid(
            "半径须在10至5000米之间 / radius_m must be 10..5000", field="radius_m", code="muck.invalid_radius"
        )
    geo.check_point(item.lon, item.lat)
    if item.polygon is not None:
        _check_polygon(item.polygon)
    unit = org.access_unit(session, actor, item.unit_id)
    site = MuckSite(
        kind=item.kind,
        name=item.name.strip()[:160],
        unit_id=unit.id,
        unit_path=unit.path,
        address=item.address.strip()[:300],
        lon=item.lon,
        lat=item.lat,
        radius_m=item.radius_m,
        polygon=item.polygon,
        license_no=item.license_no.strip()[:60],
        licensed_until=item.licensed_until,
        is_demo=item.is_demo,
        created_at=clock.now(),
    )
    return audit.add_new(session, actor, "muck.site_registered", site, kind=item.kind)


def _check_polygon(polygon: dict[str, Any]) -> None:
    from shapely.geometry import shape

    try:
        ok = polygon.get("type") == "Polygon" and shape(polygon).is_valid
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        ok = False
    if not ok:
        raise Invalid(
            "范围须为有效的 GeoJSON Polygon / polygon must be a valid GeoJSON Polygon",
            field="polygon",
            code="muck.invalid_polygon",
        )


@dataclass
class TruckInput:
    code: str
    plate: str
    unit_id: int
    company: str = ""
    route: list[list[float]] | None = None
    route_width_m: float = 200.0
    night_permit_until: date | None = None
    license_no: str = ""
    is_demo: bool = False


def register_truck(session: Session, actor: Actor, item: TruckInput) -> Truck:
    """The truck and its three GPS channels as sensing devices (`<code>.lat|lon|spd`), in one go."""
    from cityops.sensing import service as sensing
    from cityops.sensing.models import Device

    _require_editor(actor)
    code, plate = item.code.strip(), item.plate.strip().upper()
    if not code or len(code) > 48 or any(c.isspace() for c in code):
        raise Invalid(
            "终端编号必填、不含空格 / code is required, without spaces", field="code", code="muck.invalid_code"
        )
    if not 7 <= len(plate) <= 8:
        raise Invalid("车牌号为7或8位 / plate has 7 or 8 characters", field="plate", code="muck.invalid_plate")
    if item.route is not None:
        _check_route(item.route)
    if session.scalar(select(Truck.id).where((Truck.code == code) | (Truck.plate == plate))):
        raise Conflict(
            "车辆或终端已登记 / the truck or its terminal is registered", field="plate", code="muck.duplicate_truck"
        )
    unit = org.access_unit(session, actor, item.unit_id)
    rows = [
        {"code": f"{code}.{ch}", "type": dtype, "unit_code": unit.code, "name": f"{plate} {ch}"}
        for ch, dtype in CHANNELS.items()
    ]
    added, errors = sensing.register(session, actor, rows)
    if errors:
        raise Invalid(
            f"设备登记失败 / channel refused: {errors[0]['reason']}", field="code", code="muck.channel_refused"
        )
    ids = dict(session.execute(select(Device.code, Device.id).where(Device.code.in_([r["code"] for r in rows]))).all())
    truck = Truck(
        code=code,
        plate=plate,
        company=item.company.strip()[:160],
        unit_id=unit.id,
        unit_path=unit.path,
        lat_device_id=ids[f"{code}.lat"],
        lon_device_id=ids[f"{code}.lon"],
        speed_device_id=ids[f"{code}.spd"],
        route=item.route,
        route_width_m=item.route_width_m,
        night_permit_until=item.night_permit_until,
        license_no=item.license_no.strip()[:60],
        is_demo=item.is_demo,
        created_at=clock.now(),
    )
    return audit.add_new(session, actor, "muck.truck_registered", truck, plate=plate, channels=added)


def _check_route(route: list[list[float]]) -> None:
    if len(route) < 2 or any(len(p) != 2 for p in route):
        raise Invalid(
            "核准路线须为至少两个 [经度, 纬度] 点 / route needs ≥ 2 [lon, lat] points",
            field="route",
            code="muck.invalid_route",
        )
    for lon, lat in route:
        geo.check_point(lon, lat)


# -- reading --------------------------------------------------------------------------------------------
def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, CST)
    return start, start + timedelta(days=1)


def tracks_of_day(session: Session, actor: Actor, day: date) -> list[dict[str, Any]]:
    """Each visible truck's positions of that China day, for the map: [{truck, plate, points}]."""
    start, end = day_bounds(day)
    seen = {t.id: t for t in session.scalars(trucks(actor))}
    if not seen:
        return []
    rows = session.execute(
        select(TrackPoint.truck_id, TrackPoint.lon, TrackPoint.lat, TrackPoint.ts)
        .where(
            TrackPoint.truck_id.in_(seen),
            TrackPoint.ts >= start,
            TrackPoint.ts < end,
            TrackPoint.lon.is_not(None),
            TrackPoint.lat.is_not(None),
        )
        .order_by(TrackPoint.truck_id, TrackPoint.ts)
    ).all()
    out: dict[int, list[list[float]]] = {}
    for tid, lon, lat, _ in rows:
        if lon is not None and lat is not None:
            out.setdefault(tid, []).append([lon, lat])
    return [{"truck_id": tid, "plate": seen[tid].plate, "points": pts} for tid, pts in out.items()]


def violations(
    session: Session, actor: Actor, *, since: datetime | None = None, truck_id: int | None = None
) -> list[Violation]:
    stmt = (
        select(Violation)
        .join(Truck, Truck.id == Violation.truck_id)
        .where(org.in_subtree(Violation.unit_path, actor.unit_path) | org.in_subtree(Truck.unit_path, actor.unit_path))
    )
    if since is not None:
        stmt = stmt.where(Violation.at >= since)
    if truck_id is not None:
        stmt = stmt.where(Violation.truck_id == truck_id)
    return list(session.scalars(stmt.order_by(Violation.at.desc()).limit(500)))


def unit_name(session: Session, unit_id: int) -> str:
    unit = session.get(OrgUnit, unit_id)
    return unit.name if unit else ""
