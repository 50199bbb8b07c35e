"""Folding counter shards: a past day's counter rows get no new deltas (every delta is counted on the day it
happens; only an import with an old time lands on a past day, in a shard again, and is folded next time), so
the job sums each past day's shards into shard 0 and deletes the rest. Readers then sum one row per key for
every day but today and yesterday, as before the shards, and the table does not grow eightfold.

Exact under concurrency: the shard rows are read FOR UPDATE (PostgreSQL) and deleted by key, so a writer's
upsert into one of them waits and, once the fold commits, inserts a fresh row that the next fold takes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from cityops.events import metrics
from cityops.events.models import DepartmentStat, EventStat

DEPT_FIELDS = ("assigned", "closed", "closed_on_time", "returned")
TABLES: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (EventStat, ("unit_id", "day", "category_id"), metrics.STAT_FIELDS),
    (DepartmentStat, ("department_id", "day"), DEPT_FIELDS),
)


def fold_day(session: Session, day: date) -> int:
    """Sum one day's shards into shard 0; returns how many shard rows were folded away."""
    folded = 0
    for model, keys, fields in TABLES:
        key_cols = [getattr(model, k) for k in keys]
        stmt = select(*key_cols, model.shard, *[getattr(model, f) for f in fields]).where(
            model.day == day, model.shard != 0
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        rows = session.execute(stmt).all()
        if not rows:
            continue
        sums: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            acc = sums.setdefault(tuple(row[: len(keys)]), defaultdict(int))
            for name, value in zip(fields, row[len(keys) + 1 :], strict=True):
                acc[name] += value or 0
        pks = [(*row[: len(keys)], row[len(keys)]) for row in rows]
        for i in range(0, len(pks), 500):
            chunk = pks[i : i + 500]
            session.execute(delete(model).where(tuple_(*key_cols, model.shard).in_(chunk)))
        upserts = [
            {**dict(zip(keys, k, strict=True)), "shard": 0, **{f: 0 for f in fields}, **v} for k, v in sums.items()
        ]
        metrics.upsert(session, model, [*keys, "shard"], upserts, list(fields))
        folded += len(rows)
    return folded


def fold_past_days(session: Session, now: datetime, *, days_per_run: int = 3) -> int:
    """The job: the oldest days (before yesterday, China time) that still have shard rows, a few per run."""
    cutoff = metrics.local_day(now) - timedelta(days=1)
    days = session.scalars(
        select(EventStat.day).where(EventStat.day < cutoff, EventStat.shard != 0).distinct().order_by(EventStat.day)
    ).all()[:days_per_run]
    dept_days = session.scalars(
        select(DepartmentStat.day)
        .where(DepartmentStat.day < cutoff, DepartmentStat.shard != 0)
        .distinct()
        .order_by(DepartmentStat.day)
    ).all()[:days_per_run]
    return sum(fold_day(session, d) for d in sorted(set(days) | set(dept_days))[:days_per_run])
