"""Jobs: one-off tasks enqueued by services, and periodic jobs run by `cityops worker` (both registered
on `core.hooks.Hooks` by the domains' `install`).

Periodic jobs are claimed by advancing `job_schedule.next_run_at` with a conditional UPDATE, so with
several workers each due run happens once; they must be idempotent because a crash mid-run means
the next tick runs them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import clock
from cityops.core.db import Base, JSONText
from cityops.core.hooks import hooks_of
from cityops.core.leases import LeasedMixin


class Job(LeasedMixin, Base):
    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_job_dedupe_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[Any] = mapped_column(JSONText)
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime]


class JobSchedule(Base):
    __tablename__ = "job_schedule"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    last_owner: Mapped[str | None]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    runs: Mapped[int] = mapped_column(default=0)


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Queue a task in the caller's transaction; a repeated `dedupe_key` returns the existing job."""
    if name not in hooks_of(session).tasks:
        raise KeyError(f"unknown task {name!r}")
    if dedupe_key is not None:
        existing = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one_or_none()
        if existing is not None:
            return existing
    now = clock.now()
    job = Job(name=name, payload=payload or {}, dedupe_key=dedupe_key, created_at=now, available_at=run_at or now)
    session.add(job)
    session.flush()
    return job
