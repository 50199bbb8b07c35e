"""Map layers of the cockpit: a registry of point layers, each {key, name, url, colour}, served as GeoJSON
for one unit's subtree and the viewer's scope. The page draws whatever the server lists, so another
domain adds a layer with one line:

    register(Layer("risk_points", "风险点", "Risk points", "#c77dff", risk_points))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import NotFound
from cityops.events import service as events
from cityops.events.models import TERMINAL, Event
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.risks.matrix import LEVEL_NAME
from cityops.risks.models import RiskPoint
from cityops.risks.service import PointFilter
from cityops.risks.service import list_points as risk_points_of
from cityops.web.deps import PageActor

MAX_POINTS = 3000
Points = Callable[[Session, Actor, OrgUnit], list[dict[str, Any]]]


@dataclass(frozen=True)
class Layer:
    key: str
    name: str
    name_en: str
    colour: str
    points: Points  # each point: {"lon", "lat", "name", "url"?, **properties}


LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> None:
    LAYERS[layer.key] = layer


def layer_list(unit: OrgUnit, en: bool = False) -> list[dict[str, str]]:
    return [
        {
            "key": layer.key,
            "name": layer.name_en if en else layer.name,
            "url": f"/cockpit/{unit.id}/layers/{layer.key}.geojson",
            "colour": layer.colour,
        }
        for layer in LAYERS.values()
    ]


def open_events(session: Session, actor: Actor, unit: OrgUnit) -> list[dict[str, Any]]:
    """Open events of the subtree that carry coordinates (newest first)."""
    stmt = (
        select(Event.id, Event.ref, Event.title, Event.lon, Event.lat, Event.overdue)
        .where(
            events.visible(actor),
            org.in_subtree(Event.unit_path, unit.path),
            Event.status.not_in([s.value for s in TERMINAL]),
            Event.lon.is_not(None),
            Event.lat.is_not(None),
        )
        .order_by(Event.id.desc())
        .limit(MAX_POINTS)
    )
    return [
        {"lon": lon, "lat": lat, "name": f"{ref} {title}", "url": f"/events/{eid}", "overdue": bool(overdue)}
        for eid, ref, title, lon, lat, overdue in session.execute(stmt)
    ]


def risk_points(session: Session, actor: Actor, unit: OrgUnit) -> list[dict[str, Any]]:
    """The 风险清单's points (an area's centroid) in the subtree, with their level's name and colour."""
    stmt = risk_points_of(session, actor, PointFilter(unit_id=unit.id)).where(RiskPoint.lon.is_not(None))
    return [
        {
            "lon": p.lon,
            "lat": p.lat,
            "name": f"{p.ref} {p.name}（{LEVEL_NAME[p.level]}）",
            "url": f"/risks/points/{p.id}",
            "level": p.level,
        }
        for p in session.scalars(stmt.limit(MAX_POINTS))
    ]


def devices(session: Session, actor: Actor, unit: OrgUnit) -> list[dict[str, Any]]:
    from cityops.sensing import service as sensing
    from cityops.sensing.models import Device

    stmt = (
        sensing.scoped_devices(actor)
        .where(org.in_subtree(Device.unit_path, unit.path), Device.lon.is_not(None), Device.lat.is_not(None))
        .order_by(Device.id)
        .limit(MAX_POINTS)
    )
    return [
        {
            "lon": d.lon,
            "lat": d.lat,
            "name": d.name if d.last_value is None else f"{d.name} · {d.last_value:g}",
            "url": f"/sensing/devices/{d.id}",
            "type": d.type_code,
            "status": d.status,
        }
        for d in session.scalars(stmt)
    ]


def active_alarms(session: Session, actor: Actor, unit: OrgUnit) -> list[dict[str, Any]]:
    from cityops.sensing import service as sensing
    from cityops.sensing.models import Alarm, Device
    from cityops.sensing.views import SEVERITY_NAME

    stmt = (
        sensing.scoped_alarms(actor)
        .add_columns(Device.lon, Device.lat, Device.name)
        .join(Device, Device.id == Alarm.device_id)
        .where(
            Alarm.cleared.is_(False),
            org.in_subtree(Alarm.unit_path, unit.path),
            Device.lon.is_not(None),
            Device.lat.is_not(None),
        )
        .order_by(Alarm.id.desc())
        .limit(MAX_POINTS)
    )
    return [
        {
            "lon": lon,
            "lat": lat,
            "name": f"{name} · {alarm.type}（{SEVERITY_NAME[alarm.severity][0]}）",
            "url": f"/sensing/devices/{alarm.device_id}",
            "severity": alarm.severity,
        }
        for alarm, lon, lat, name in session.execute(stmt)
    ]


register(Layer("events", "在办事件", "Open events", "#ffb84d", open_events))
register(Layer("devices", "感知设备", "Devices", "#3ddc97", devices))
register(Layer("alarms", "活动告警", "Active alarms", "#ff5d5d", active_alarms))
register(Layer("risk_points", "风险点", "Risk points", "#c77dff", risk_points))

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/cockpit/{unit_id}/layers/{key}.geojson", response_class=JSONResponse)
def layer_geojson(unit_id: int, key: str, session: SessionDep, actor: PageActor) -> JSONResponse:
    """One layer's points in the unit's subtree, as the viewer may see them."""
    unit = org.access_unit(session, actor, unit_id)
    layer = LAYERS.get(key)
    if layer is None:
        raise NotFound("图层不存在 / Unknown map layer.", layer=key, code="cockpit.unknown_layer")
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
            "properties": {k: v for k, v in p.items() if k not in ("lon", "lat")},
        }
        for p in layer.points(session, actor, unit)
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")
