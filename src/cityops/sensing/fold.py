"""SQLite: the minute and hour rollups folded from the raw readings above a watermark.

Folding at every batch makes each commit rewrite most of the rollup table's pages (its key leads with the
device, and a batch of a stream touches every device), so under a heavy stream the raw rows are folded
once per `FOLD_ROWS` readings or `FOLD_SECONDS`, whichever comes first; a small batch (a trickle, a test,
one HTTP request of a few lines) is folded at once, and the worker's `sensing.fold_rollups` job folds
what a stream that stopped left behind. The fold is exact: SQLite has one writer at a time, so rowids grow
in commit order and the rows above the watermark are exactly those not yet folded; each is folded once.
PostgreSQL (several ingest processes committing out of id order) folds every batch in its insert statement
instead (`sensing.store`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.db import _sqlite_utc_text

FOLD_ROWS = 50_000
FOLD_SECONDS = 2.0
SMALL_BATCH = 1_000

_UPSERT = (
    "ON CONFLICT (device_id, period, bucket) DO UPDATE SET n = reading_rollup.n + excluded.n, "
    "total = reading_rollup.total + excluded.total, "
    "min_value = {least}(reading_rollup.min_value, excluded.min_value), "
    "max_value = {greatest}(reading_rollup.max_value, excluded.max_value), "
    "last_value = CASE WHEN excluded.last_ts >= reading_rollup.last_ts THEN excluded.last_value "
    "ELSE reading_rollup.last_value END, "
    "last_ts = CASE WHEN excluded.last_ts >= reading_rollup.last_ts THEN excluded.last_ts "
    "ELSE reading_rollup.last_ts END"
)
COLUMNS = "(device_id, period, bucket, n, total, min_value, max_value, last_ts, last_value)"


def _groups(period: str, bucket: str) -> str:
    return (
        f"SELECT device_id, '{period}' AS period, {bucket} AS bucket, count(*) AS n, sum(value) AS total, "  # noqa: S608
        # NOT INDEXED: read the new rows by rowid range (without statistics SQLite would scan the index)
        "min(value) AS lo, max(value) AS hi, max(ts) AS last_ts FROM reading NOT INDEXED "
        "WHERE id > :after AND id <= :upto GROUP BY device_id, bucket"
    )


# Both periods in one statement; a group's last value is the row at its latest time (the unique index
# finds it). Times are SQLite's UTC text, so a bucket is a prefix of it.
_FOLD = (  # constants of this module only
    f"INSERT INTO reading_rollup {COLUMNS} "  # noqa: S608
    "SELECT g.device_id, g.period, g.bucket, g.n, g.total, g.lo, g.hi, g.last_ts, r.value FROM ("
    + _groups("m", "substr(ts, 1, 16) || ':00.000000'")
    + " UNION ALL "
    + _groups("h", "substr(ts, 1, 13) || ':00:00.000000'")
    + ") AS g JOIN reading AS r ON r.device_id = g.device_id AND r.ts = g.last_ts WHERE true "
    + _UPSERT.format(least="MIN", greatest="MAX")
)


def upsert_clause(least: str, greatest: str) -> str:
    """The rollup upsert's conflict clause (PostgreSQL spells min/max of two values LEAST/GREATEST)."""
    return _UPSERT.format(least=least, greatest=greatest)


def after_insert(conn: Connection, before: int, added: int) -> None:
    """Called by the batch that just inserted `added` rows above id `before`: fold now if it is due."""
    last_id, folded_at = _watermark(conn)
    # The table shrank below the watermark (its newest rows deleted, e.g. emptied): rowids start again above
    # `before`, and every row up to `before` was folded, so fold this batch now and move the watermark back.
    reset = before < last_id
    if reset:
        last_id = before
    now = clock.now()
    due = (
        reset
        or added < SMALL_BATCH
        or before + added - last_id >= FOLD_ROWS
        or folded_at is None
        or (now - folded_at).total_seconds() >= FOLD_SECONDS
    )
    if due:
        _fold(conn, last_id, before + added, now)


def fold_pending(session: Session) -> int:
    """Fold every raw reading not folded yet (the worker's job; a reader that must be exact). Returns how
    many were folded. PostgreSQL has nothing pending: each batch folds itself."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    conn = session.connection()
    last_id, _ = _watermark(conn)
    top = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM reading").scalar_one())
    if top == last_id:
        return 0
    after = min(last_id, top)
    _fold(conn, after, top, clock.now())
    return top - after


def _watermark(conn: Connection) -> tuple[int, datetime | None]:
    row = conn.exec_driver_sql("SELECT last_id, folded_at FROM reading_fold WHERE name = 'rollups'").first()
    if row is None:
        return 0, None
    folded_at = clock.as_utc(datetime.fromisoformat(row[1])) if row[1] else None
    return int(row[0]), folded_at


def _fold(conn: Connection, after: int, upto: int, now: datetime) -> None:
    if upto > after:
        conn.exec_driver_sql(_FOLD, {"after": after, "upto": upto})
    conn.exec_driver_sql(
        "INSERT INTO reading_fold (name, last_id, folded_at) VALUES ('rollups', ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, folded_at = excluded.folded_at",
        (upto, _sqlite_utc_text(now)),
    )
