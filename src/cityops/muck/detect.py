"""The muck scan (a periodic job): read the trucks' new GPS readings from sensing after a cursor, assemble
them into positions, and walk each truck's new positions in time order once — a stop of 10 minutes outside
every licensed site (suspected dumping), leaving the approved corridor, running at night without a permit.
Each violation is one row (unique per truck, kind and occasion) and opens one event to 城市管理."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import system_actor
from cityops.events.calendar import CST
from cityops.muck import defaults as d
from cityops.muck import geo
from cityops.muck.models import MuckSite, ScanCursor, TrackPoint, Truck, Violation

CURSOR = "gps"
BATCH = 20_000


@dataclass
class Fix:
    ts: datetime
    lon: float
    lat: float
    speed: float


def scan(session: Session, now: datetime) -> int:
    """One pass; returns the violations opened. Runs again at once when the batch was full."""
    from cityops.sensing.service import readings_after

    channels: dict[int, tuple[int, str]] = {}
    for t in session.scalars(select(Truck).where(Truck.status == "active")):
        channels[t.lat_device_id], channels[t.lon_device_id], channels[t.speed_device_id] = (
            (t.id, "lat"),
            (t.id, "lon"),
            (t.id, "speed"),
        )
    cursor = session.get(ScanCursor, CURSOR)
    if cursor is None:
        cursor = ScanCursor(name=CURSOR, last_id=0)
        session.add(cursor)
    rows = readings_after(session, list(channels), cursor.last_id, limit=BATCH)
    if rows:
        _store(session, channels, rows)
        cursor.last_id = rows[-1][0]
    cursor.updated_at = now
    touched = {channels[dev][0] for _, dev, _, _ in rows}
    opened = 0
    if touched:
        sites = _sites(session, now)
        for truck in session.scalars(select(Truck).where(Truck.id.in_(touched)).order_by(Truck.id)):
            opened += _walk(session, truck, sites)
    session.flush()
    return opened


def _sites(session: Session, now: datetime) -> list[MuckSite]:
    from cityops.muck.service import licensed_sites

    return licensed_sites(session, now.astimezone(CST).date())


def _store(
    session: Session, channels: dict[int, tuple[int, str]], rows: list[tuple[int, int, datetime, float]]
) -> None:
    """Merge the channels of each (truck, ts) into its position row (a fix may arrive split over batches)."""
    fixes: dict[tuple[int, datetime], dict[str, float]] = defaultdict(dict)
    for _, dev, ts, value in rows:
        truck_id, ch = channels[dev]
        fixes[(truck_id, ts)][ch] = value
    by_truck: dict[int, list[datetime]] = defaultdict(list)
    for truck_id, ts in fixes:
        by_truck[truck_id].append(ts)
    existing = {}
    for truck_id, stamps in by_truck.items():
        for p in session.scalars(select(TrackPoint).where(TrackPoint.truck_id == truck_id, TrackPoint.ts.in_(stamps))):
            existing[(truck_id, p.ts)] = p
    for (truck_id, ts), values in fixes.items():
        point = existing.get((truck_id, ts))
        if point is None:
            point = TrackPoint(truck_id=truck_id, ts=ts)
            session.add(point)
        for ch, value in values.items():
            setattr(point, ch, value)
    session.flush()


def _new_fixes(session: Session, truck: Truck) -> list[Fix]:
    stmt = select(TrackPoint).where(
        TrackPoint.truck_id == truck.id, TrackPoint.lon.is_not(None), TrackPoint.lat.is_not(None)
    )
    if truck.checked_ts is not None:
        stmt = stmt.where(TrackPoint.ts > truck.checked_ts)
    out = []
    for p in session.scalars(stmt.order_by(TrackPoint.ts)):
        assert p.lon is not None and p.lat is not None
        out.append(Fix(p.ts, p.lon, p.lat, p.speed if p.speed is not None else 0.0))
    return out


def _walk(session: Session, truck: Truck, sites: list[MuckSite]) -> int:
    opened = 0
    for fix in _new_fixes(session, truck):
        opened += _stop(session, truck, fix, sites)
        opened += _corridor(session, truck, fix, sites)
        opened += _night(session, truck, fix, sites)
        truck.checked_ts = fix.ts
    return opened


def _stop(session: Session, truck: Truck, fix: Fix, sites: list[MuckSite]) -> int:
    standing = fix.speed <= d.STOP_SPEED_KMH
    near_anchor = (
        truck.stop_since is not None
        and truck.stop_lon is not None
        and truck.stop_lat is not None
        and geo.metres(fix.lon, fix.lat, truck.stop_lon, truck.stop_lat) <= d.STOP_RADIUS_M
    )
    if not standing or (truck.stop_since is not None and not near_anchor):
        truck.stop_since, truck.stop_lon, truck.stop_lat, truck.stop_flagged = None, None, None, False
        if not standing:
            return 0
    if truck.stop_since is None:
        truck.stop_since, truck.stop_lon, truck.stop_lat, truck.stop_flagged = fix.ts, fix.lon, fix.lat, False
        return 0
    minutes = (fix.ts - truck.stop_since).total_seconds() / 60
    if truck.stop_flagged or minutes < d.STOP_MINUTES:
        return 0
    truck.stop_flagged = True  # decided once per stop, inside a site or not
    assert truck.stop_lon is not None and truck.stop_lat is not None
    if any(geo.in_site(truck.stop_lon, truck.stop_lat, s) for s in sites):
        return 0
    stop_fix = Fix(truck.stop_since, truck.stop_lon, truck.stop_lat, 0.0)
    return _open(session, truck, "dumping", truck.stop_since.isoformat(), stop_fix, sites, fix.ts, minutes=minutes)


def _corridor(session: Session, truck: Truck, fix: Fix, sites: list[MuckSite]) -> int:
    if not truck.route:
        return 0
    outside = geo.to_polyline_m(fix.lon, fix.lat, truck.route) > truck.route_width_m / 2
    if outside and any(geo.in_site(fix.lon, fix.lat, s) for s in sites):
        outside = False  # inside a licensed site at either end of the route is not a deviation
    if not outside:
        truck.off_route = False
        return 0
    if truck.off_route:
        return 0
    truck.off_route = True
    return _open(session, truck, "off_route", fix.ts.isoformat(), fix, sites, fix.ts)


def _night(session: Session, truck: Truck, fix: Fix, sites: list[MuckSite]) -> int:
    local = fix.ts.astimezone(CST)
    if fix.speed < d.MOVING_KMH or d.NIGHT_END_HOUR <= local.hour < d.NIGHT_START_HOUR:
        return 0
    night = (local - timedelta(days=1) if local.hour < d.NIGHT_END_HOUR else local).date()
    if truck.night_permit_until is not None and truck.night_permit_until >= night:
        return 0
    if truck.night_key == night.isoformat():
        return 0
    truck.night_key = night.isoformat()
    return _open(session, truck, "night", night.isoformat(), fix, sites, fix.ts)


def _track(session: Session, truck: Truck, until: datetime) -> list[list[Any]]:
    rows = session.execute(
        select(TrackPoint.lon, TrackPoint.lat, TrackPoint.ts, TrackPoint.speed)
        .where(
            TrackPoint.truck_id == truck.id,
            TrackPoint.ts >= until - d.TRACK_BEFORE,
            TrackPoint.ts <= until,
            TrackPoint.lon.is_not(None),
            TrackPoint.lat.is_not(None),
        )
        .order_by(TrackPoint.ts)
    ).all()
    step = max(1, -(-len(rows) // d.TRACK_MAX_POINTS))
    picked = list(rows[::step]) + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    return [[lon, lat, ts.isoformat(), speed] for lon, lat, ts, speed in picked]


def _nearest(fix: Fix, sites: list[MuckSite]) -> tuple[MuckSite | None, float | None]:
    best: tuple[MuckSite | None, float | None] = (None, None)
    for s in sites:
        dist = geo.distance_to_site(fix.lon, fix.lat, s)
        if best[1] is None or dist < best[1]:
            best = (s, dist)
    return best


def _open(
    session: Session,
    truck: Truck,
    kind: str,
    key: str,
    fix: Fix,
    sites: list[MuckSite],
    until: datetime,
    *,
    minutes: float | None = None,
) -> int:
    from cityops.muck.events import open_event

    if session.scalar(
        select(Violation.id).where(Violation.truck_id == truck.id, Violation.kind == kind, Violation.key == key)
    ):
        return 0
    site, dist = _nearest(fix, sites)
    violation = Violation(
        truck_id=truck.id,
        kind=kind,
        key=key,
        at=fix.ts,
        lon=fix.lon,
        lat=fix.lat,
        site_id=site.id if site else None,
        site_distance_m=round(dist, 1) if dist is not None else None,
        minutes=round(minutes, 1) if minutes is not None else None,
        track=_track(session, truck, until),
        created_at=clock.now(),
    )
    session.add(violation)
    session.flush()
    open_event(session, truck, violation, site)
    audit.record(session, system_actor("system:muck"), "muck.violation", violation, kind=kind, truck=truck.plate)
    return 1
