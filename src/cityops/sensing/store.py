"""Set-based storage of a batch of readings: the raw rows, the minute and hour rollups and the devices'
latest values in a few statements per batch, whatever the batch size.

A re-sent reading (same device, same time) is stored once: the raw insert skips it on the unique
(device_id, ts) index, and the rollups are grouped from the rows that insert really added — so they stay
exactly the GROUP BY of the raw rows whatever arrives twice or out of order, and two ingest processes
racing on one reading count it once. On PostgreSQL the rollups are folded in the insert's own statement;
on SQLite from the raw rows above a watermark, every few seconds under a heavy stream (`sensing.fold`).
Measured by `cityops bench readings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.db import _sqlite_utc_text
from cityops.sensing import fold

# device id, aware time, value, and SQLite's UTC text of the time when the caller has it already (or None)
Row = tuple[int, datetime, float, str | None]


def store(session: Session, rows: Sequence[Row]) -> set[tuple[int, datetime]]:
    """Insert the batch (distinct (device, ts) keys), fold it into the rollups and the devices' latest
    values (never moved back by a late reading); returns the keys that
    were already stored (duplicates, usually none), which the caller keeps away from the rules."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _store_postgresql(session, rows)
    return _store_sqlite(session, rows)


# Each device's latest value, never moved back by a reading that arrives late.
_SQLITE_LATEST = "UPDATE device SET last_ts = ?, last_value = ? WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)"
_SQLITE_INSERT = "INSERT INTO reading (device_id, ts, value) VALUES (?, ?, ?) ON CONFLICT (device_id, ts) DO NOTHING"


def _store_sqlite(session: Session, rows: Sequence[Row]) -> set[tuple[int, datetime]]:
    conn = session.connection()
    # Times as SQLAlchemy stores them on SQLite; an aware UTC time is the common case, in one step.
    data: list[tuple[int, str, float]] = [
        (d, text or (ts.isoformat(" ", "microseconds")[:26] if ts.tzinfo is UTC else str(_sqlite_utc_text(ts))), v)
        for d, ts, v, text in rows
    ]
    # SQLite has one writer at a time, so the rows this transaction adds are exactly those above the
    # highest id before it (rowids grow from the maximum).
    before = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM reading").scalar_one())
    added = conn.exec_driver_sql(_SQLITE_INSERT, data).rowcount
    duplicates: set[tuple[int, datetime]] = set()
    if added < len(data):
        new = set(conn.exec_driver_sql("SELECT device_id, ts FROM reading WHERE id > ?", (before,)).all())
        duplicates = {(r[0], r[1]) for r, (_, text, _) in zip(rows, data, strict=True) if (r[0], text) not in new}
        data = [row for row in data if (row[0], row[1]) in new]
    if data:
        conn.exec_driver_sql(_SQLITE_LATEST, _latest(data))
    fold.after_insert(conn, before, added)
    return duplicates


def _latest(data: list[tuple[int, str, float]]) -> list[tuple[str, float, int, str]]:
    """Each device's newest reading in the batch, as the parameters of `_SQLITE_LATEST`."""
    latest: dict[int, tuple[str, float]] = {}
    for device_id, ts, value in data:
        last = latest.get(device_id)
        if last is None or ts > last[0]:
            latest[device_id] = (ts, value)
    return [(ts, value, d, ts) for d, (ts, value) in latest.items()]


def _pg_rollup(name: str, period: str, unit: str) -> str:
    bucket = f"date_trunc('{unit}', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    return (
        f"{name} AS (INSERT INTO reading_rollup {fold.COLUMNS} "  # noqa: S608
        f"SELECT device_id, '{period}', {bucket}, count(*), sum(value), min(value), max(value), max(ts), "
        f"(array_agg(value ORDER BY ts DESC))[1] FROM ins GROUP BY device_id, 3 "
        + fold.upsert_clause(least="LEAST", greatest="GREATEST")
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
    ids, times, values = ([r[i] for r in rows] for i in range(3))  # the text is SQLite's only
    result = session.connection().exec_driver_sql(_PG_STORE, (ids, times, values))
    return {(int(d), clock.as_utc(ts)) for d, ts in result}
