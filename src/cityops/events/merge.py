"""并案: likely duplicates of an event — same category family, within 200 m and 48 h, similar text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.models import TERMINAL, Category, Event
from cityops.events.service import visible

RADIUS_M = 200.0
WINDOW = timedelta(hours=48)
MIN_SIMILARITY = 0.2
_DEG_LAT_M = 111_320.0


@dataclass
class Candidate:
    event: Event
    distance_m: float
    hours_apart: float
    similarity: float


def _bigrams(text: str) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (works for Chinese without segmentation)."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dy = (lat2 - lat1) * _DEG_LAT_M
    dx = (lon2 - lon1) * _DEG_LAT_M * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def candidates(session: Session, actor: Actor, event: Event, *, limit: int = 20) -> list[Candidate]:
    family = session.scalar(select(Category.family).where(Category.id == event.category_id))
    same_family = select(Category.id).where(Category.family == family)
    stmt = select(Event).where(
        visible(actor),
        Event.id != event.id,
        Event.category_id.in_(same_family),
        Event.status.not_in([s.value for s in TERMINAL]),
        Event.received_at >= event.received_at - WINDOW,
        Event.received_at <= event.received_at + WINDOW,
    )
    if event.lon is not None and event.lat is not None:
        dlat = RADIUS_M / _DEG_LAT_M
        dlon = dlat / max(0.1, math.cos(math.radians(event.lat)))
        stmt = stmt.where(
            Event.lon.between(event.lon - dlon, event.lon + dlon), Event.lat.between(event.lat - dlat, event.lat + dlat)
        )
    else:
        stmt = stmt.where(Event.unit_id == event.unit_id)  # no point: same smallest unit instead
    out = []
    text = f"{event.title} {event.description} {event.address}"
    for other in session.scalars(stmt.limit(500)):
        if event.lon is not None and event.lat is not None and other.lon is not None and other.lat is not None:
            dist = distance_m(event.lon, event.lat, other.lon, other.lat)
            if dist > RADIUS_M:
                continue
        else:
            dist = -1.0
        sim = similarity(text, f"{other.title} {other.description} {other.address}")
        if sim < MIN_SIMILARITY:
            continue
        hours = abs((other.received_at - event.received_at).total_seconds()) / 3600
        out.append(Candidate(other, round(dist, 1), round(hours, 2), round(sim, 3)))
    out.sort(key=lambda c: (-c.similarity, c.distance_m))
    return out[:limit]
