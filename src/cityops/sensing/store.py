"""Set-based storage of a batch of readings: the raw rows, the minute and hour rollups and the devices'
latest values in a few statements per batch, whatever the batch size.

A re-sent reading (same device, same time) is stored once: the raw insert skips it on the unique
(device_id, ts) index, and the rollups are grouped from the rows that insert really added — so they stay
exactly the GROUP BY of the raw rows whatever arrives twice or out of order, and two ingest processes
racing on one reading count it once. Measured by `cityops bench readings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.db import _sqlite_utc_text

Row = tuple[int, datetime, float]  # device id, aware UTC time, value

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
_COLUMNS = "(device_id, period, bucket, n, total, min_value, max_value, last_ts, last_value)"


def store(session: Session, rows: Sequence[Row]) -> set[tuple[int, datetime]]:
    """Insert the batch (distinct (device, ts) keys), fold it into the rollups and the devices' latest
    values (never moved back by a late reading); returns the keys that
    were already stored (duplicates, usually none), which the caller keeps away from the rules."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _store_postgresql(session, rows)
    return _store_sqlite(session, rows)


def _sqlite_groups(period: str, bucket: str) -> str:
    return (
        f"SELECT device_id, '{period}' AS period, {bucket} AS bucket, count(*) AS n, sum(value) AS total, "  # noqa: S608
        # NOT INDEXED: read the new rows by rowid range (without statistics SQLite would scan the index)
        "min(value) AS lo, max(value) AS hi, max(ts) AS last_ts FROM reading NOT INDEXED WHERE id > ? "
        "GROUP BY device_id, bucket"
    )


# Both periods in one statement over the rows this transaction added; the last value is the row at the
# group's latest time (the unique index finds it).
_SQLITE_ROLLUPS = (  # constants of this module only
    f"INSERT INTO reading_rollup {_COLUMNS} "  # noqa: S608
    "SELECT g.device_id, g.period, g.bucket, g.n, g.total, g.lo, g.hi, g.last_ts, r.value FROM ("
    + _sqlite_groups("m", "substr(ts, 1, 16) || ':00.000000'")
    + " UNION ALL "
    + _sqlite_groups("h", "substr(ts, 1, 13) || ':00:00.000000'")
    + ") AS g JOIN reading AS r ON r.device_id = g.device_id AND r.ts = g.last_ts WHERE true "
    + _UPSERT.format(least="MIN", greatest="MAX")
)


# Each device's latest value from the same new rows, never moved back by a reading that arrives late.
_SQLITE_LATEST = (
    "UPDATE device SET last_ts = g.last_ts, last_value = r.value FROM ("
    "SELECT device_id, max(ts) AS last_ts FROM reading NOT INDEXED WHERE id > ? GROUP BY device_id) AS g "
    "JOIN reading AS r ON r.device_id = g.device_id AND r.ts = g.last_ts "
    "WHERE device.id = g.device_id AND (device.last_ts IS NULL OR device.last_ts <= g.last_ts)"
)


def _store_sqlite(session: Session, rows: Sequence[Row]) -> set[tuple[int, datetime]]:
    conn = session.connection()
    # SQLite has one writer at a time, so the rows this transaction adds are exactly those above the
    # highest id before it (rowids grow from the maximum).
    before = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM reading").scalar_one())
    data = [(d, _sqlite_utc_text(ts), v) for d, ts, v in rows]
    added = conn.exec_driver_sql(
        "INSERT INTO reading (device_id, ts, value) VALUES (?, ?, ?) ON CONFLICT (device_id, ts) DO NOTHING", data
    ).rowcount
    duplicates: set[tuple[int, datetime]] = set()
    if added < len(data):
        new = set(conn.exec_driver_sql("SELECT device_id, ts FROM reading WHERE id > ?", (before,)).all())
        duplicates = {(d, ts) for (d, ts, _), (_, text, _) in zip(rows, data, strict=True) if (d, text) not in new}
    conn.exec_driver_sql(_SQLITE_ROLLUPS, (before, before))
    conn.exec_driver_sql(_SQLITE_LATEST, (before,))
    return duplicates


def _pg_rollup(name: str, period: str, unit: str) -> str:
    bucket = f"date_trunc('{unit}', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    return (
        f"{name} AS (INSERT INTO reading_rollup {_COLUMNS} "  # noqa: S608
        f"SELECT device_id, '{period}', {bucket}, count(*), sum(value), min(value), max(value), max(ts), "
        f"(array_agg(value ORDER BY ts DESC))[1] FROM ins GROUP BY device_id, 3 "
        + _UPSERT.format(least="LEAST", greatest="GREATEST")
        + " RETURNING 1)"
    )


_PG_STORE = (  # constants of this module only
    "WITH batch AS (SELECT * FROM unnest(%s::integer[], %s::timestamptz[], %s::float8[]) "  # noqa: S608
    "AS b(device_id, ts, value)), "
    "ins AS (INSERT INTO reading (device_id, ts, value) SELECT device_id, ts, value FROM batch "
    "ON CONFLICT (device_id, ts) DO NOTHING RETURNING device_id, ts, value), "
    + _pg_rollup("m", "m", "minute")
    + ", "
    + _pg_rollup("h", "h", "hour")
    + ", d AS (UPDATE device SET last_ts = u.ts, last_value = u.value FROM ("
    "SELECT DISTINCT ON (device_id) device_id, ts, value FROM ins ORDER BY device_id, ts DESC) AS u "
    "WHERE device.id = u.device_id AND (device.last_ts IS NULL OR device.last_ts <= u.ts) RETURNING 1)"
    + " SELECT device_id, ts FROM batch EXCEPT SELECT device_id, ts FROM ins"
)


def _store_postgresql(session: Session, rows: Sequence[Row]) -> set[tuple[int, datetime]]:
    # One statement: the insert's RETURNING feeds both rollups, so only rows really added are counted,
    # even when another process inserts the same reading at the same moment.
    ids, times, values = ([r[i] for r in rows] for i in range(3))
    result = session.connection().exec_driver_sql(_PG_STORE, (ids, times, values))
    return {(int(d), clock.as_utc(ts)) for d, ts in result}
