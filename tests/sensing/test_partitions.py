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
from cityops.sensing.models import Reading, Rollup


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


def test_retention_deletes_old_minute_rollups_and_keeps_hours(factory: sessionmaker[Session]) -> None:
    """Minute rollups past `minute_rollup_retention_days` (30) go; hour rollups and recent minutes stay, and
    a second run finds nothing more to delete."""
    now = clock.now().replace(second=0, microsecond=0)
    stats = {"n": 1, "total": 1.0, "min_value": 1.0, "max_value": 1.0, "last_value": 1.0}
    rows = [
        {"device_id": 1, "period": period, "bucket": now - timedelta(days=days), "last_ts": now, **stats}
        for period in ("m", "h")
        for days in (1, 29, 31, 90)
    ]
    with session_scope(factory) as s:
        bulk_insert(s, Rollup, rows)
        jobs.retention(s, now)
    with session_scope(factory) as s:
        left = sorted(
            (p, round((now - b).total_seconds() / 86400)) for p, b in s.execute(select(Rollup.period, Rollup.bucket))
        )
        assert jobs.prune_minute_rollups(s, now - timedelta(days=30)) == 0
    assert left == [("h", 1), ("h", 29), ("h", 31), ("h", 90), ("m", 1), ("m", 29)]
