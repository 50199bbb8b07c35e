"""Sensing routes: reading ingest (JSON lines), devices (bulk registration, rules, series), alarms
(list, acknowledge, clear), map layers and ingest statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cityops.core import bodies, clock
from cityops.core.actor import Actor, Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute, require, utf8_body
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, paginate
from cityops.core.schemas import GEOJSON, FeatureCollection
from cityops.sensing import alarms, ingest, service
from cityops.sensing.models import Alarm, Device, DeviceType, IngestCounter
from cityops.sensing.schemas import (
    AlarmPage,
    AlarmRead,
    DeviceDetail,
    DevicePage,
    DeviceRead,
    DeviceTypeRead,
    IngestCount,
    IngestOut,
    NoteIn,
    RegisterOut,
    RulesIn,
    SensingStats,
    SeriesPoint,
)

router = APIRouter(prefix="/api", tags=["sensing"], route_class=TransactionalRoute)
GatewayDep = Annotated[Actor, Depends(require(Role.data_admin, Role.sysadmin, Role.app_admin))]
MAX_BODY_MB = 20


@router.post("/readings", responses={422: {"description": "body too large or not text"}})
async def post_readings(request: Request, session: SessionDep, _: GatewayDep) -> IngestOut:
    """Readings as JSON lines: {"device": "CQ-RD-0001", "ts": "2026-03-02T10:00:00+08:00", "value": 12.3}.
    Good lines are stored; bad ones come back with their line number and reason."""
    text = await utf8_body(request, max_mb=MAX_BODY_MB, kind="JSON lines", code="sensing.invalid_body")
    items, bad = ingest.parse_lines(text)
    result = await run_in_threadpool(ingest.ingest, session, items, source="http", rejects=bad)
    return IngestOut(
        accepted=result.accepted,
        rejected=sorted(result.rejected, key=lambda r: r["line"]),
        alarms_raised=result.alarms_raised,
        alarms_cleared=result.alarms_cleared,
        duplicates=result.duplicates,
        events_opened=result.events_opened,
    )


@router.post("/devices", responses={200: {"description": "registered count and per-row errors"}})
async def register_devices(request: Request, session: SessionDep, actor: GatewayDep) -> RegisterOut:
    """Register devices in bulk: a JSON array or CSV (code,type,name,unit_code,lon,lat,department_code,sector)."""
    body = (await request.body()).decode("utf-8-sig", errors="replace")
    if "csv" in request.headers.get("content-type", ""):
        with bodies.readable_csv(field="body", code="sensing.invalid_body"):
            rows = service.parse_device_csv(body)
    else:
        rows = bodies.loads_body(body, code="sensing.invalid_body")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise Invalid("应为对象数组 / expected a JSON array of objects", field="body", code="sensing.invalid_body")
    registered, errors = await run_in_threadpool(service.register, session, actor, rows)
    return RegisterOut(registered=registered, failed=len(errors), errors=errors)


@router.get("/devices")
def list_devices(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    type: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    sector: Annotated[str | None, Query(max_length=4)] = None,
) -> DevicePage:
    """Devices in the caller's jurisdiction."""
    stmt = service.scoped_devices(actor)
    if type:
        stmt = stmt.where(Device.type_code == type)
    if status:
        stmt = stmt.where(Device.status == status)
    if sector:
        stmt = stmt.where(Device.sector == sector)
    rows, total = paginate(session, stmt.order_by(Device.id), page)
    return DevicePage.of([DeviceRead.model_validate(d) for d in rows], total, page)


@router.get("/devices/{device_id}", responses={404: {"description": "absent or not yours"}})
def get_device(device_id: int, session: SessionDep, actor: ActorDep) -> DeviceDetail:
    """A device with its latest value and its active alarms."""
    device = service.access_device(session, actor, device_id)
    active = session.scalars(select(Alarm).where(Alarm.device_id == device.id, Alarm.cleared.is_(False)))
    return DeviceDetail(
        **DeviceRead.model_validate(device).model_dump(), active_alarms=[AlarmRead.model_validate(a) for a in active]
    )


@router.get("/devices/{device_id}/series", responses={404: {"description": "absent or not yours"}})
def device_series(
    device_id: int,
    session: SessionDep,
    actor: ActorDep,
    period: Annotated[str, Query(pattern="^[mh]$", description="m = minute, h = hour")] = "m",
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> list[SeriesPoint]:
    """Rollups (count, mean, min, max, last) for charts."""
    device = service.access_device(session, actor, device_id)
    until = until or clock.now()
    since = since or until - (timedelta(hours=6) if period == "m" else timedelta(days=7))
    return [
        SeriesPoint(
            bucket=r.bucket.isoformat(), n=r.n, mean=r.total / r.n, min=r.min_value, max=r.max_value, last=r.last_value
        )
        for r in service.series(session, device, period=period, since=since, until=until)
    ]


@router.put("/devices/{device_id}/rules", responses={404: {"description": "absent or not yours"}})
def set_device_rules(device_id: int, body: RulesIn, session: SessionDep, actor: ActorDep) -> DeviceRead:
    """Per-device rule overrides (merged into the type's rules by id)."""
    device = service.access_device(session, actor, device_id)
    return DeviceRead.model_validate(service.set_device_rules(session, actor, device, body.rules))


@router.get("/device-types")
def list_device_types(session: SessionDep, _: ActorDep) -> list[DeviceTypeRead]:
    """Device types with their default rules."""
    return [DeviceTypeRead.model_validate(t) for t in session.scalars(select(DeviceType).order_by(DeviceType.code))]


@router.put("/device-types/{code}/rules", responses={404: {"description": "unknown type"}})
def set_type_rules(code: str, body: RulesIn, session: SessionDep, actor: ActorDep) -> DeviceTypeRead:
    """Replace a type's default rules (validated and compiled before they are stored)."""
    dtype = session.get(DeviceType, code)
    if dtype is None:
        raise Invalid("未知设备类型 / unknown device type", field="code", code="sensing.invalid_code")
    return DeviceTypeRead.model_validate(service.update_type_rules(session, actor, dtype, body.rules))


@router.get("/alarms")
def list_alarms(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    active: Annotated[bool | None, Query(description="only active (or only cleared)")] = None,
    severity: Annotated[str | None, Query(max_length=16)] = None,
    sector: Annotated[str | None, Query(max_length=4)] = None,
    device_id: Annotated[int | None, Query()] = None,
) -> AlarmPage:
    """Alarms in the caller's jurisdiction, newest first."""
    stmt = service.scoped_alarms(actor)
    if active is not None:
        stmt = stmt.where(Alarm.cleared.is_(not active))
    if severity:
        stmt = stmt.where(Alarm.severity == severity)
    if sector:
        stmt = stmt.where(Alarm.sector == sector)
    if device_id is not None:
        stmt = stmt.where(Alarm.device_id == device_id)
    rows, total = paginate(session, stmt.order_by(Alarm.start_ts.desc(), Alarm.id.desc()), page)
    return AlarmPage.of([AlarmRead.model_validate(a) for a in rows], total, page)


@router.post(
    "/alarms/{alarm_id}/ack",
    responses={404: {"description": "absent or not yours"}, 409: {"description": "already acknowledged"}},
)
def ack_alarm(alarm_id: int, session: SessionDep, actor: ActorDep, body: NoteIn | None = None) -> AlarmRead:
    """Acknowledge: ACTIVE_UNACK → ACTIVE_ACK, CLEARED_UNACK → CLEARED_ACK (with an optional note)."""
    alarm = service.access_alarm(session, actor, alarm_id)
    return AlarmRead.model_validate(alarms.act(session, actor, alarm, "ack", body.note if body else ""))


@router.post(
    "/alarms/{alarm_id}/clear",
    responses={404: {"description": "absent or not yours"}, 409: {"description": "already cleared"}},
)
def clear_alarm(alarm_id: int, session: SessionDep, actor: ActorDep, body: NoteIn | None = None) -> AlarmRead:
    """Clear by hand (the event it opened stays open until a person closes it)."""
    alarm = service.access_alarm(session, actor, alarm_id)
    return AlarmRead.model_validate(alarms.act(session, actor, alarm, "clear", body.note if body else ""))


@router.get(
    "/sensing/devices.geojson", response_class=JSONResponse, response_model=FeatureCollection, responses=GEOJSON
)
def devices_layer(
    session: SessionDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=100_000)] = 20_000
) -> JSONResponse:
    """Devices with coordinates as GeoJSON points (status and latest value as properties)."""
    rows = session.scalars(service.scoped_devices(actor).where(Device.lon.is_not(None)).limit(limit))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
            "properties": {"id": d.id, "code": d.code, "type": d.type_code, "status": d.status, "value": d.last_value},
        }
        for d in rows
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


@router.get("/sensing/alarms.geojson", response_class=JSONResponse, response_model=FeatureCollection, responses=GEOJSON)
def alarms_layer(session: SessionDep, actor: ActorDep) -> JSONResponse:
    """Active alarms at their devices' positions."""
    stmt = service.scoped_alarms(actor).where(Alarm.cleared.is_(False)).limit(5000)
    rows = session.execute(stmt.add_columns(Device.lon, Device.lat).join(Device, Device.id == Alarm.device_id))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": a.id,
                "type": a.type,
                "severity": a.severity,
                "status": a.status,
                "event_id": a.event_id,
            },
        }
        for a, lon, lat in rows
        if lon is not None
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


@router.get("/sensing/stats")
def sensing_stats(session: SessionDep, actor: ActorDep) -> SensingStats:
    """Devices by status in the caller's jurisdiction, and ingest counts by source and reason."""
    counters = session.scalars(select(IngestCounter).order_by(IngestCounter.source, IngestCounter.reason))
    return SensingStats(
        devices=service.counts_by_status(session, actor), ingest=[IngestCount.model_validate(c) for c in counters]
    )
