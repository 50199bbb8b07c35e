"""Reading ingest for every transport (HTTP JSON lines, MQTT, CSV replay): validate each reading, store
the good ones, update minute/hour rollups and device state, evaluate rules, move alarms — one batch per
transaction (rows, rollups and latest values set-based in `store`; rules in memory). A bad reading is
rejected with its reason and counted; it never stops the batch."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.sensing import alarms, store
from cityops.sensing.models import Device, IngestCounter
from cityops.sensing.registry import DeviceInfo, registry_of

MAX_AGE = timedelta(days=7)
MAX_AHEAD = timedelta(minutes=5)


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line", "reason", "detail"}
    alarms_raised: int = 0
    alarms_cleared: int = 0
    duplicates: int = 0  # re-sent readings (same device, same time), stored once
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
    obj: dict[str, Any], devices: dict[str, DeviceInfo], now: datetime, arrivals: Iterator[int]
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
    # A reading sent without a time takes its arrival, a microsecond after the previous such one in the
    # batch, so two of them are not taken for one reading sent twice.
    ts = _timestamp(obj.get("ts")) if "ts" in obj else now + timedelta(microseconds=next(arrivals))
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
    good: dict[tuple[int, datetime], tuple[DeviceInfo, datetime, float]] = {}
    arrivals = count()
    for line, obj in items:
        checked = _check(obj, devices, now, arrivals)
        if isinstance(checked, str):
            result.rejected.append({"line": line, "reason": checked, "detail": str(obj.get("device", ""))[:64]})
            continue
        key = (checked[0].id, checked[1])
        if key in good:
            result.duplicates += 1  # sent twice in one batch: the first one counts
        else:
            good[key] = checked
    if good:
        already = store.store(session, [(d.id, ts, v) for d, ts, v in good.values()])
        result.duplicates += len(already)
        fresh = [r for k, r in good.items() if k not in already] if already else list(good.values())
        fresh.sort(key=lambda r: r[1])  # rules see each device's readings in time order
        _device_state(session, fresh, result)
        result.accepted = len(fresh)
    _count(session, source, result)
    return result


def _device_state(session: Session, good: list[tuple[DeviceInfo, datetime, float]], result: IngestResult) -> None:
    latest: dict[int, datetime] = {}
    pending: alarms.Pending = []
    touched: list[Any] = []
    states = registry_of(session).states
    for device, ts, value in good:
        state = states.get(device.id)
        if state is not None:
            for change in state.evaluate(ts, value):
                alarm = alarms.apply(session, device, change, pending)
                if change.raised:
                    result.alarms_raised += 1
                    touched.append(alarm)
                else:
                    result.alarms_cleared += 1
        latest[device.id] = ts  # in time order: the last one is the newest
    alarms.open_events(session, pending)
    for alarm in touched:
        if alarm is not None and alarm.event_id is not None and alarm.event_id not in result.events_opened:
            result.events_opened.append(alarm.event_id)
    _back_online(session, {d.id: d for d, _, _ in good}, latest)


def _back_online(session: Session, devices: dict[int, DeviceInfo], latest: dict[int, datetime]) -> None:
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
        alarms.end_offline(session, device, latest[device_id])


def _count(session: Session, source: str, result: IngestResult) -> None:
    counts = Counter(r["reason"] for r in result.rejected)
    counts["accepted"] = result.accepted
    counts["duplicate"] = result.duplicates
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
