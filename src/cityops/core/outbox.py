"""Transactional outbox: side effects are rows written with the change, delivered by the worker.

A crash between the change and its notification cannot lose the notification, and a handler that
fails is retried with backoff; handlers must be idempotent (delivery is at least once; handlers that
only write to this database are exactly once, because they run in the transaction that marks the
row done).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import clock
from cityops.core.db import Base, JSONRaw, JSONText, bulk_insert
from cityops.core.leases import LeasedMixin


class OutboxMessage(LeasedMixin, Base):
    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[Any] = mapped_column(JSONText)
    created_at: Mapped[datetime]


def add(session: Session, topic: str, **payload: Any) -> None:
    """Queue a side effect in the caller's transaction."""
    now = clock.now()
    session.add(OutboxMessage(topic=topic, payload=payload, created_at=now, available_at=now))


def add_many(session: Session, topic: str, payloads: list[dict[str, Any]] | list[JSONRaw]) -> None:
    """Queue many messages of one topic; a payload may be given already serialized (`JSONRaw`)."""
    if not payloads:
        return
    now = clock.now()
    # status and attempts take their column defaults (pending, 0) once for the whole batch.
    rows = [{"topic": topic, "payload": p, "created_at": now, "available_at": now} for p in payloads]
    bulk_insert(session, OutboxMessage, rows)
