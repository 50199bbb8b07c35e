"""Reading ingest for every transport (HTTP JSON lines, MQTT, CSV replay): validate each reading, store
the good ones, update minute/hour rollups and device state, evaluate rules, move alarms — one batch per
transaction (rows, rollups and latest values set-based in `store`; rules in memory). A bad reading is
rejected with its reason and counted; it never stops the batch."""

from __future__ import annotations

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

from cityops.core import bodies, clock
from cityops.events import intake
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
            obj = bodies.loads(line)
        except bodies.BadJSON as exc:
            bad.append({"line": n, "reason": "malformed", "detail": str(exc)})
            continue
        if not isinstance(obj, dict):
            bad.append({"line": n, "reason": "malformed", "detail": "a line must be a JSON object"})
            continue
        good.append((n, obj))
    return good, bad


def _timestamp(raw: Any) -> datetime | None:
    if raw.__class__ is str:
        try:
            ts = datetime.fromisoformat(raw)  # ISO 8601, "Z" included
        except ValueError:
            return None
        return ts if ts.tzinfo is not None else None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        seconds = raw / 1000 if raw > 1e11 else raw  # epoch milliseconds or seconds
        return datetime.fromtimestamp(seconds, UTC) if math.isfinite(seconds) else None
    return None


# A checked reading: the device, its time (aware, and in epoch seconds), its value and, when the sender
# wrote the time as canonical UTC ISO 8601, SQLite's text of it (cut from what was sent: formatting it again
# would cost more than everything else done to a reading here).
Checked = tuple[DeviceInfo, datetime, float, float, str | None]


def _sqlite_text(raw: str) -> str | None:
    if raw[10:11] == "T" and raw[19:20] == "." and (raw[26:] == "+00:00" or raw[26:] == "Z"):
        return raw[:10] + " " + raw[11:26]
    return None


def _check(
    obj: dict[str, Any], devices: dict[str, DeviceInfo], window: tuple[datetime, datetime], arrivals: Iterator[int]
) -> Checked | str:
    """One reading checked against the devices and the accepted time window; the reason it is rejected
    otherwise. Kept to plain comparisons: this runs for every reading."""
    code = obj.get("device")
    device = devices.get(code) if code.__class__ is str else None
    if device is None:
        return "unknown_device"
    value: Any = obj.get("value")
    kind = value.__class__
    if kind is not float and kind is not int:  # bool is its own class, so true/false are refused here
        return "wrong_type"
    if not math.isfinite(value):
        return "not_a_number"
    if (device.min_value is not None and value < device.min_value) or (
        device.max_value is not None and value > device.max_value
    ):
        return "out_of_range"
    # A reading sent without a time takes its arrival, a microsecond after the previous such one in the
    # batch, so two of them are not taken for one reading sent twice.
    raw = obj.get("ts", _ABSENT)
    oldest, newest = window
    ts = oldest + MAX_AGE + timedelta(microseconds=next(arrivals)) if raw is _ABSENT else _timestamp(raw)
    if ts is None:
        return "bad_timestamp"
    if ts > newest:
        return "in_future"
    if ts < oldest:
        return "too_old"
    return device, ts, ts.timestamp(), float(value), _sqlite_text(raw) if raw.__class__ is str else None


_ABSENT = object()


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
    codes = {code for _, o in items if (code := o.get("device")).__class__ is str}
    devices = registry_of(session).lookup(session, codes) if codes else {}
    good: dict[tuple[int, datetime], Checked] = {}
    window, arrivals = (now - MAX_AGE, now + MAX_AHEAD), count()
    for line, obj in items:
        checked = _check(obj, devices, window, arrivals)
        if isinstance(checked, str):
            result.rejected.append({"line": line, "reason": checked, "detail": str(obj.get("device", ""))[:64]})
            continue
        key = (checked[0].id, checked[1])
        if key in good:
            result.duplicates += 1  # sent twice in one batch: the first one counts
        else:
            good[key] = checked
    if good:
        already = store.store(session, [(d.id, ts, v, text) for d, ts, _, v, text in good.values()])
        result.duplicates += len(already)
        fresh = [r for k, r in good.items() if k not in already] if already else list(good.values())
        fresh.sort(key=_epoch)  # rules see each device's readings in time order
        _device_state(session, fresh, result)
        result.accepted = len(fresh)
    _count(session, source, result)
    return result


def warm_up(session: Session) -> None:
    """What a long-running ingest process builds once, before its first reading rather than inside the
    batch that opens its first event (a threshold crossing would wait for them, and so would every other
    ingest process behind its write lock): what intake reads (`events.intake.warm_up`)."""
    intake.warm_up(session)


def _epoch(reading: Checked) -> float:
    return reading[2]


def _device_state(session: Session, good: list[Checked], result: IngestResult) -> None:
    pending: alarms.Pending = []
    touched: list[Any] = []
    states = registry_of(session).states
    for device, ts, epoch, value, _ in good:
        state = states.get(device.id)
        if state is None:
            continue
        for change in state.evaluate(ts, value, epoch):
            alarm = alarms.apply(session, device, change, pending)
            if change.raised:
                result.alarms_raised += 1
                touched.append(alarm)
            else:
                result.alarms_cleared += 1
    alarms.open_events(session, pending)
    for alarm in touched:
        if alarm is not None and alarm.event_id is not None and alarm.event_id not in result.events_opened:
            result.events_opened.append(alarm.event_id)
    _back_online(session, good)


def _back_online(session: Session, good: list[Checked]) -> None:
    """Devices that report again come back online. Decided by the database, not this process's cache: the
    worker that marked a device offline is often another process."""
    devices = {r[0].id: r[0] for r in good}
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
        newest = max(r[1] for r in good if r[0].id == device_id)  # rare: only devices that were offline
        alarms.end_offline(session, device, newest)


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
