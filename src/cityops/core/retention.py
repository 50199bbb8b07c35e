"""Delivered outbox messages and finished jobs are purged after `done_retention_days`: a year at a city's
volume would otherwise leave millions of dead rows. Failed ("dead") rows stay for a person to look at, and
audit entries are never purged."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cityops.core import jobs, leases, outbox
from cityops.core.hooks import Hooks, hooks_of

BATCH = 10_000  # bounded deletes: a long backlog is purged over several runs without one huge transaction


def purge_done(session: Session, now: datetime) -> int:
    cutoff = now - timedelta(days=hooks_of(session).settings.done_retention_days)
    purged = 0
    for model in (outbox.OutboxMessage, jobs.Job):
        ids = select(model.id).where(model.status == leases.DONE, model.done_at < cutoff).limit(BATCH)
        result = session.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
        purged += int(getattr(result, "rowcount", 0) or 0)
    return purged


def install(hooks: Hooks) -> None:
    hooks.every("core.purge_done", timedelta(hours=1), purge_done)
