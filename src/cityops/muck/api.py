"""渣土治理 routes: sites, trucks (their GPS channels are sensing devices: positions arrive through
/api/readings or MQTT), violations, today's tracks, a scan on demand and the KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import Forbidden
from cityops.events.calendar import CST, kpi_period
from cityops.muck import detect, kpis, service
from cityops.muck.schemas import (
    KpisOut,
    ScanOut,
    SiteCreate,
    SiteRead,
    TrackOut,
    TruckCreate,
    TruckRead,
    ViolationRead,
)

router = APIRouter(prefix="/api/muck", tags=["muck"], route_class=TransactionalRoute)


@router.post("/sites", status_code=201)
def create_site(body: SiteCreate, session: SessionDep, actor: ActorDep) -> SiteRead:
    return SiteRead.model_validate(service.register_site(session, actor, service.SiteInput(**body.model_dump())))


@router.get("/sites")
def list_sites(session: SessionDep, actor: ActorDep) -> list[SiteRead]:
    return [SiteRead.model_validate(s) for s in session.scalars(service.sites(actor).limit(2000))]


@router.post("/trucks", status_code=201)
def create_truck(body: TruckCreate, session: SessionDep, actor: ActorDep) -> TruckRead:
    """A licensed truck and its three GPS channels (sensing devices `<code>.lat`, `.lon`, `.spd`)."""
    return TruckRead.model_validate(service.register_truck(session, actor, service.TruckInput(**body.model_dump())))


@router.get("/trucks")
def list_trucks(session: SessionDep, actor: ActorDep) -> list[TruckRead]:
    return [TruckRead.model_validate(t) for t in session.scalars(service.trucks(actor).limit(5000))]


@router.get("/violations")
def list_violations(
    session: SessionDep, actor: ActorDep, truck_id: Annotated[int | None, Query()] = None
) -> list[ViolationRead]:
    return [ViolationRead.model_validate(v) for v in service.violations(session, actor, truck_id=truck_id)]


@router.get("/tracks")
def tracks(session: SessionDep, actor: ActorDep, day: Annotated[date | None, Query()] = None) -> list[TrackOut]:
    """Each visible truck's positions of a China day (today by default)."""
    return [TrackOut(**t) for t in service.tracks_of_day(session, actor, day or clock.now().astimezone(CST).date())]


@router.post("/scan")
def scan_now(session: SessionDep, actor: ActorDep) -> ScanOut:
    """Run the GPS scan now (the worker runs it every minute)."""
    if not actor.has(Role.sysadmin, Role.app_admin, Role.dispatcher):
        raise Forbidden("仅值班员或管理员 / dispatchers and admins only", code="muck.scan_forbidden")
    return ScanOut(opened=detect.scan(session, clock.now()))


@router.get("/kpis")
def muck_kpis(
    session: SessionDep,
    actor: ActorDep,
    first: Annotated[date | None, Query()] = None,
    last: Annotated[date | None, Query()] = None,
) -> KpisOut:
    first, last = kpi_period(first, last, kpis.default_period(clock.now()), code="muck.invalid_period")
    return KpisOut(**kpis.compute(session, actor, first, last).as_dict())
