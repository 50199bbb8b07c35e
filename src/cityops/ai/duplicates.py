"""Near-duplicate reports: MinHash (datasketch) over character pairs, among open events received within
a time window and a distance of a report — shown at intake ("similar open reports nearby") and to the
dispatcher for 并案."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.ai.text import event_text, similarity
from cityops.events.models import TERMINAL, Event
from cityops.org.service import in_subtree

RADIUS_M = 500.0
WINDOW = timedelta(hours=72)
MIN_SIMILARITY = 0.25
_DEG_LAT_M = 111_320.0


@dataclass
class Similar:
    event: Event
    similarity: float
    distance_m: float | None


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * _DEG_LAT_M * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * _DEG_LAT_M)


def similar_open(
    session: Session,
    text: str,
    *,
    at: datetime,
    lon: float | None = None,
    lat: float | None = None,
    unit_path: str | None = None,
    scope: Any = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Similar]:
    """Open events like `text` near the point (or, without one, in the unit's subtree), likest first.
    `scope` is a visibility clause (events.service.visible) for staff; the public form passes none."""
    if not text.strip() or (lon is None and unit_path is None):
        return []
    stmt = select(Event).where(
        Event.status.not_in([s.value for s in TERMINAL]),
        Event.received_at >= at - WINDOW,
        Event.received_at <= at + WINDOW,
        Event.is_drill.is_(False),
    )
    if scope is not None:
        stmt = stmt.where(scope)
    if exclude_id is not None:
        stmt = stmt.where(Event.id != exclude_id)
    if lon is not None and lat is not None:
        dlat = RADIUS_M / _DEG_LAT_M
        dlon = dlat / max(0.1, math.cos(math.radians(lat)))
        stmt = stmt.where(Event.lon.between(lon - dlon, lon + dlon), Event.lat.between(lat - dlat, lat + dlat))
    else:
        stmt = stmt.where(in_subtree(Event.unit_path, unit_path or "/"))
    out = []
    for other in session.scalars(stmt.order_by(Event.received_at.desc()).limit(300)):
        dist = None
        if lon is not None and lat is not None and other.lon is not None and other.lat is not None:
            dist = _metres(lon, lat, other.lon, other.lat)
            if dist > RADIUS_M:
                continue
        sim = similarity(text, event_text(other.title, other.description, other.address))
        if sim >= MIN_SIMILARITY:
            out.append(Similar(other, round(sim, 2), round(dist, 0) if dist is not None else None))
    out.sort(key=lambda s: -s.similarity)
    return out[:limit]


def for_event(session: Session, event: Event, scope: Any, limit: int = 5) -> list[Similar]:
    """Likely duplicates of an event, for the dispatcher's 并案."""
    return similar_open(
        session,
        event_text(event.title, event.description, event.address),
        at=event.received_at,
        lon=event.lon,
        lat=event.lat,
        unit_path=event.unit_path,
        scope=scope,
        exclude_id=event.id,
        limit=limit,
    )
