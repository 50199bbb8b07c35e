"""Retention of raw readings: on PostgreSQL whole daily partitions are made ahead and dropped past the
retention (rows that arrived before their day's partition existed move into it); SQLite deletes rows.
Series and latest values keep being served from the rows that remain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import bulk_insert, session_scope
from cityops.sensing import jobs, partitions
from cityops.sensing.models import Reading


def test_retention_drops_old_days_and_keeps_recent_rows(factory: sessionmaker[Session], session: Session) -> None:
    now = clock.now()
    rows = [{"device_id": 1, "ts": now - timedelta(hours=12 * i), "value": float(i)} for i in range(20)]  # 10 days
    with session_scope(factory) as s:
        bulk_insert(s, Reading, rows)
        jobs.retention(s, now)  # retention is 7 days
    pg = session.get_bind().dialect.name == "postgresql"
    with session_scope(factory, write=False) as s:
        kept = sorted(v for v in s.scalars(select(Reading.value)))
        oldest = s.scalar(select(func.min(Reading.ts)))
        names = partitions.partitions(s) if pg else []
    assert oldest is not None and oldest >= now - timedelta(days=8)
    if not pg:
        assert kept == [float(i) for i in range(15)]  # older than 7 × 24 h: gone
        return
    # Whole days only: the day that is partly past the retention waits until it has passed entirely.
    assert kept == [float(i) for i in range(len(kept))] and 14 <= len(kept) <= 16
    today = f"reading_p{now:%Y%m%d}"
    ahead = f"reading_p{now + timedelta(days=partitions.AHEAD_DAYS):%Y%m%d}"
    assert today in names and ahead in names
    with session_scope(factory, write=False) as s:
        assert s.execute(text("SELECT count(*) FROM reading_default")).scalar_one() == 0  # all moved to their day
        assert s.scalar(select(func.count()).select_from(Reading)) == len(kept)
