"""Daily partitions of the raw readings on PostgreSQL (migration 0014 made `reading` range-partitioned on
ts with a DEFAULT partition): the job keeps tomorrow's partitions ready and drops whole days past the
retention, which frees their disk at once (no DELETE, no VACUUM). SQLite keeps one table and deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from cityops.sensing.models import Reading

AHEAD_DAYS = 2


def _name(day: datetime) -> str:
    return f"reading_p{day:%Y%m%d}"


def _day(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def partitions(session: Session) -> list[str]:
    """The daily partitions that exist, oldest first."""
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'reading' AND c.relname LIKE 'reading_p%' "
            "ORDER BY c.relname"
        )
    )
    return [str(r[0]) for r in rows]


def ensure(session: Session, now: datetime, *, days_back: int = 0) -> list[str]:
    """Create the partitions from `days_back` days ago to AHEAD_DAYS ahead; rows the DEFAULT partition
    already holds for such a day move into it. Returns the partitions created."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    have, created = set(partitions(session)), []
    for offset in range(-days_back, AHEAD_DAYS + 1):
        lo = _day(now) + timedelta(days=offset)
        name = _name(lo)
        if name in have:
            continue
        bounds = {"lo": lo, "hi": lo + timedelta(days=1)}
        # PostgreSQL refuses a new partition while DEFAULT holds rows of its range: move them across.
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS reading_moving (LIKE reading_default INCLUDING DEFAULTS) "
                "ON COMMIT DROP"
            )
        )
        session.execute(
            text(
                "WITH moved AS (DELETE FROM reading_default WHERE ts >= :lo AND ts < :hi RETURNING *) "
                "INSERT INTO reading_moving SELECT * FROM moved"
            ),
            bounds,
        )
        # The name is built from a date here, never from input; bounds are ISO literals of that date.
        session.execute(
            text(
                f"CREATE TABLE {name} PARTITION OF reading FOR VALUES FROM "
                f"('{lo.isoformat()}') TO ('{(lo + timedelta(days=1)).isoformat()}')"
            )
        )
        session.execute(text("INSERT INTO reading SELECT * FROM reading_moving"))
        session.execute(text("DELETE FROM reading_moving"))
        created.append(name)
    return created


def drop_expired(session: Session, now: datetime, retention_days: int) -> list[str]:
    """Raw readings older than the retention go: whole daily partitions on PostgreSQL (rows of a partly
    expired day wait for the day to pass entirely), rows elsewhere. Rollups stay."""
    cutoff = now - timedelta(days=retention_days)
    if session.get_bind().dialect.name != "postgresql":
        session.execute(delete(Reading).where(Reading.ts < cutoff))
        return []
    dropped = []
    for name in partitions(session):
        day = datetime.strptime(name.removeprefix("reading_p"), "%Y%m%d").replace(tzinfo=UTC)
        if day + timedelta(days=1) <= cutoff:
            session.execute(text(f"DROP TABLE {name}"))  # a name read from the catalogue, of our own pattern
            dropped.append(name)
    session.execute(text("DELETE FROM reading_default WHERE ts < :cutoff"), {"cutoff": cutoff})
    return dropped
