"""Reading ingest for every transport (HTTP JSON lines, MQTT, CSV replay): validate each reading, store
the good ones, update minute/hour rollups and device state, evaluate rules, move alarms — one batch per
transaction. A bad reading is rejected with its reason and counted; it never stops the batch."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.db import bulk_insert
from cityops.sensing import alarms
from cityops.sensing.models import Device, IngestCounter, Reading, Rollup
from cityops.sensing.registry import DeviceInfo, registry_of

MAX_AGE = timedelta(days=7)
MAX_AHEAD = timedelta(minutes=5)


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line", "reason", "detail"}
    alarms_raised: int = 0
    alarms_cleared: int = 0
    events_opened: list[int] = field(default_factory=list)


def parse_lines(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """JSON lines -> ([(line, object)], [rejects])."""
    good, bad = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append({"line": n, "reason": "malformed", "detail": f"JSON: {exc.msg}"})
            continue
        if not isinstance(obj, dict):
            bad.append({"line": n, "reason": "malformed", "detail": "a line must be a JSON object"})
            continue
        good.append((n, obj))
    return good, bad


def _timestamp(raw: Any) -> datetime | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        seconds = raw / 1000 if raw > 1e11 else raw  # epoch milliseconds or seconds
        return datetime.fromtimestamp(seconds, UTC) if math.isfinite(seconds) else None
    if isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return ts if ts.tzinfo is not None else None
    return None


def _check(
    obj: dict[str, Any], devices: dict[str, DeviceInfo], now: datetime
) -> tuple[DeviceInfo, datetime, float] | str:
    code = obj.get("device")
    device = devices.get(code) if isinstance(code, str) else None
    if device is None:
        return "unknown_device"
    value = obj.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "wrong_type"
    if not math.isfinite(value):
        return "not_a_number"
    if (device.min_value is not None and value < device.min_value) or (
        device.max_value is not None and value > device.max_value
    ):
        return "out_of_range"
    ts = _timestamp(obj.get("ts")) if "ts" in obj else now
    if ts is None:
        return "bad_timestamp"
    if ts > now + MAX_AHEAD:
        return "in_future"
    if ts < now - MAX_AGE:
        return "too_old"
    return device, ts, float(value)


def ingest(
    session: Session,
    items: list[tuple[int, dict[str, Any]]],
    *,
    source: str = "http",
    rejects: list[dict[str, Any]] | None = None,
) -> IngestResult:
    """Take in a batch of (line number, reading object); the caller commits."""
    now = clock.now()
    result = IngestResult(rejected=list(rejects or []))
    codes = {o["device"] for _, o in items if isinstance(o.get("device"), str)}
    devices = registry_of(session).lookup(session, codes) if codes else {}
    good: list[tuple[DeviceInfo, datetime, float]] = []
    for line, obj in items:
        checked = _check(obj, devices, now)
        if isinstance(checked, str):
            result.rejected.append({"line": line, "reason": checked, "detail": str(obj.get("device", ""))[:64]})
        else:
            good.append(checked)
    good.sort(key=lambda r: r[1])  # rules see each device's readings in time order
    if good:
        bulk_insert(session, Reading, [{"device_id": d.id, "ts": ts, "value": v} for d, ts, v in good])
        _rollups(session, good)
        _device_state(session, good, result)
    result.accepted = len(good)
    _count(session, source, result)
    return result


def _device_state(session: Session, good: list[tuple[DeviceInfo, datetime, float]], result: IngestResult) -> None:
    latest: dict[int, tuple[datetime, float]] = {}
    pending: alarms.Pending = []
    touched: list[Any] = []
    for device, ts, value in good:
        state = registry_of(session).states.get(device.id)
        if state is not None:
            for change in state.evaluate(ts, value):
                alarm = alarms.apply(session, device, change, pending)
                if change.raised:
                    result.alarms_raised += 1
                    touched.append(alarm)
                else:
                    result.alarms_cleared += 1
        previous = latest.get(device.id)
        if previous is None or ts >= previous[0]:
            latest[device.id] = (ts, value)
    alarms.open_events(session, pending)
    for alarm in touched:
        if alarm is not None and alarm.event_id is not None and alarm.event_id not in result.events_opened:
            result.events_opened.append(alarm.event_id)
    _back_online(session, {d.id: d for d, _, _ in good}, latest)
    # One executemany for every device's latest value.
    table: Any = Device.__table__
    stmt = (
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values(last_ts=bindparam("b_ts"), last_value=bindparam("b_value"))
    )
    session.execute(stmt, [{"b_id": d, "b_ts": ts, "b_value": v} for d, (ts, v) in sorted(latest.items())])


def _back_online(session: Session, devices: dict[int, DeviceInfo], latest: dict[int, tuple[datetime, float]]) -> None:
    """Devices that report again come back online. Decided by the database, not this process's cache: the
    worker that marked a device offline is often another process."""
    back = session.scalars(
        update(Device)
        .where(Device.id.in_(list(devices)), Device.status == "offline")
        .values(status="active")
        .returning(Device.id)
        .execution_options(synchronize_session=False)
    ).all()
    for device_id in back:
        device = devices[device_id]
        device.status = "active"
        alarms.end_offline(session, device, latest[device_id][0])


def _bucket(ts: datetime, period: str) -> datetime:
    return ts.replace(second=0, microsecond=0) if period == "m" else ts.replace(minute=0, second=0, microsecond=0)


def _rollups(session: Session, good: list[tuple[DeviceInfo, datetime, float]]) -> None:
    acc: dict[tuple[int, str, datetime], list[Any]] = {}
    for device, ts, value in good:
        for period in ("m", "h"):
            key = (device.id, period, _bucket(ts, period))
            row = acc.get(key)
            if row is None:
                acc[key] = [1, value, value, value, ts, value]
            else:
                row[0] += 1
                row[1] += value
                row[2] = min(row[2], value)
                row[3] = max(row[3], value)
                if ts >= row[4]:
                    row[4], row[5] = ts, value
    rows = [
        {
            "device_id": d,
            "period": p,
            "bucket": b,
            "n": n,
            "total": t,
            "min_value": lo,
            "max_value": hi,
            "last_ts": lt,
            "last_value": lv,
        }
        for (d, p, b), (n, t, lo, hi, lt, lv) in sorted(acc.items())
    ]
    pg = session.get_bind().dialect.name == "postgresql"
    least, greatest = ("LEAST", "GREATEST") if pg else ("MIN", "MAX")
    bulk_insert(
        session,
        Rollup,
        rows,
        suffix=(
            "ON CONFLICT (device_id, period, bucket) DO UPDATE SET n = reading_rollup.n + excluded.n, "
            "total = reading_rollup.total + excluded.total, "
            f"min_value = {least}(reading_rollup.min_value, excluded.min_value), "
            f"max_value = {greatest}(reading_rollup.max_value, excluded.max_value), "
            "last_value = CASE WHEN excluded.last_ts >= reading_rollup.last_ts THEN excluded.last_value "
            "ELSE reading_rollup.last_value END, "
            "last_ts = CASE WHEN excluded.last_ts >= reading_rollup.last_ts THEN excluded.last_ts "
            "ELSE reading_rollup.last_ts END"
        ),
    )


def _count(session: Session, source: str, result: IngestResult) -> None:
    counts = Counter(r["reason"] for r in result.rejected)
    counts["accepted"] = result.accepted
    rows = [{"source": source, "reason": reason, "count": n} for reason, n in sorted(counts.items()) if n]
    if not rows:
        return
    pg = session.get_bind().dialect.name == "postgresql"
    stmt = (postgresql.insert if pg else sqlite.insert)(IngestCounter)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["source", "reason"], set_={"count": IngestCounter.count + stmt.excluded.count}
        ),
        rows,
    )
