"""Claiming rows with a lease, shared by the job queue and the outbox.

Two workers never claim the same row: PostgreSQL uses `SELECT … FOR UPDATE SKIP LOCKED`; SQLite
serialises writers with BEGIN IMMEDIATE, so select-then-update inside one write transaction is
already exclusive. A crashed worker's lease expires and the row becomes claimable again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"


class LeasedMixin:
    """Columns of a row that workers claim: status, when it may run, who holds it and until when."""

    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    available_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None]


class Leased(Protocol):
    id: Any
    status: Any
    lease_owner: Any
    lease_until: Any
    attempts: Any
    available_at: Any
    last_error: Any
    done_at: Any


def claim(session: Session, model: Any, owner: str, now: datetime, *, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due rows for `owner`; the caller commits the claim at once."""
    due = or_(
        (model.status == PENDING) & (model.available_at <= now),
        (model.status == RUNNING) & (model.lease_until < now),
    )
    stmt = select(model.id).where(due).order_by(model.available_at, model.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(status=RUNNING, lease_owner=owner, lease_until=now + lease, attempts=model.attempts + 1)
        )
    return ids


def lock_own(session: Session, model: Any, row_id: int, owner: str) -> Any | None:
    """Re-read a claimed row under a row lock; None when the lease was lost to another worker."""
    stmt = select(model).where(model.id == row_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None or row.status != RUNNING or row.lease_owner != owner:
        return None
    return row


def backoff(attempts: int) -> timedelta:
    """Exponential backoff between retries: 2 s, 4 s, 8 s … capped at 10 minutes."""
    return timedelta(seconds=min(600, 2 ** max(1, attempts)))


def mark_failed(row: Leased, error: str, now: datetime, *, max_attempts: int) -> None:
    row.last_error = error[:2000]
    row.lease_owner = None
    row.lease_until = None
    if row.attempts >= max_attempts:
        row.status = DEAD
    else:
        row.status = PENDING
        row.available_at = now + backoff(row.attempts)


def mark_done(row: Leased, now: datetime) -> None:
    row.status = DONE
    row.done_at = now
    row.lease_until = None
