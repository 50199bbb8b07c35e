"""Transactional outbox: side effects are rows written with the change, delivered by the worker.

A crash between the change and its notification cannot lose the notification, and a handler that
fails is retried with backoff; handlers must be idempotent (delivery is at least once; handlers that
only write to this database are exactly once, because they run in the transaction that marks the
row done).

Many messages of one topic written together (a bulk import's `event.received`, a sweep's escalations)
share rows, `PER_ROW` payloads to a row: the worker hands each payload to each subscriber just as if it
had its own row. A shared row whose delivery fails twice is split into one row per payload, so a bad
payload is retried, and in the end set aside, alone while the others are delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import clock
from cityops.core.db import Base, JSONRaw, JSONText, bulk_insert
from cityops.core.leases import DONE, LeasedMixin, backoff


class OutboxMessage(LeasedMixin, Base):
    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[Any] = mapped_column(JSONText)
    created_at: Mapped[datetime]


PER_ROW = 20  # payloads per row of `add_many`: 5,000 rows for a 100,000-event import, not 100,000; a row's
# delivery (every subscriber, every payload: ≈ 20 ms for `event.received`) holds SQLite's write lock that long
_EACH = "_each"  # the key under which a shared row keeps its payloads


def add(session: Session, topic: str, **payload: Any) -> None:
    """Queue a side effect in the caller's transaction."""
    if _EACH in payload:
        raise ValueError(f"{_EACH!r} is reserved for rows that carry several payloads")
    now = clock.now()
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, available_at=now))


def add_many(
    session: Session, topic: str, payloads: list[dict[str, Any]] | list[JSONRaw], *, per_row: int = PER_ROW
) -> None:
    """Queue many messages of one topic, `per_row` to a row; a payload may be given already serialized
    (`JSONRaw`). Subscribers still receive one payload at a time (`payloads_of`)."""
    if not payloads:
        return
    now = clock.now()
    # status and attempts take their column defaults (pending, 0) once for the whole batch.
    rows = [
        {"topic": topic, "payload": _shared(payloads[i : i + per_row]), "created_at": now, "available_at": now}
        for i in range(0, len(payloads), per_row)
    ]
    bulk_insert(session, OutboxMessage, rows)


def _shared(chunk: list[dict[str, Any]] | list[JSONRaw]) -> dict[str, Any] | JSONRaw:
    if len(chunk) == 1:
        return chunk[0]
    if isinstance(chunk[0], JSONRaw):
        return JSONRaw(f'{{"{_EACH}": [{", ".join(chunk)}]}}')
    return {_EACH: chunk}


def payloads_of(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """The payloads a stored row carries: one, or the several `add_many` put in a shared row."""
    if _EACH in stored:
        return list(stored[_EACH])
    return [stored]


SPLIT_AFTER = 2  # failed attempts of a whole shared row (one may be a passing lock timeout) before it is split


def split(session: Session, row: OutboxMessage, error: str, now: datetime, *, max_attempts: int) -> bool:
    """After a shared row's delivery failed again, or for the last time allowed (its effects rolled back):
    queue each payload in a row of its own, keeping the attempts made and the backoff, and close the shared
    one, saying so. False for a row with one payload or failed only once, which is retried whole."""
    payloads = payloads_of(row.payload)
    if len(payloads) < 2 or row.attempts < min(SPLIT_AFTER, max_attempts):
        return False
    kept = {"topic": row.topic, "created_at": row.created_at, "attempts": row.attempts}
    later = now + backoff(row.attempts)
    bulk_insert(session, OutboxMessage, [{**kept, "payload": p, "available_at": later} for p in payloads])
    row.status, row.done_at, row.lease_owner, row.lease_until = DONE, now, None, None
    row.last_error = f"split into {len(payloads)} messages, each retried alone, after: {error}"[:2000]
    return True
