"""Read models of sensing for pages: the alarm list with its filters, a device's page (latest value, rules,
rollup series for a time range), and the active critical alarms a cockpit announces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor, Role
from cityops.org import service as org
from cityops.sensing import service
from cityops.sensing.models import Alarm, AlarmStatus, Device, DeviceType, Sector, Severity
from cityops.sensing.rules import merge_specs

SEVERITY_NAME = {
    Severity.critical: ("严重", "Critical"),
    Severity.major: ("重要", "Major"),
    Severity.minor: ("次要", "Minor"),
    Severity.warning: ("警告", "Warning"),
    Severity.indeterminate: ("不确定", "Indeterminate"),
}
STATUS_NAME = {
    AlarmStatus.active_unack: ("活动·未确认", "Active, unacknowledged"),
    AlarmStatus.active_ack: ("活动·已确认", "Active, acknowledged"),
    AlarmStatus.cleared_unack: ("已清除·未确认", "Cleared, unacknowledged"),
    AlarmStatus.cleared_ack: ("已清除·已确认", "Cleared, acknowledged"),
}
SECTOR_NAME = {s.value: s.value for s in Sector}
# Time ranges of the device chart: (label zh, label en, span, rollup period)
RANGES = {
    "1h": ("1小时", "1 h", timedelta(hours=1), "m"),
    "6h": ("6小时", "6 h", timedelta(hours=6), "m"),
    "24h": ("24小时", "24 h", timedelta(hours=24), "m"),
    "7d": ("7天", "7 days", timedelta(days=7), "h"),
    "30d": ("30天", "30 days", timedelta(days=30), "h"),
}
WORKERS = (Role.dispatcher, Role.leader, Role.handler, Role.sysadmin)
PAGE_SIZE = 50


@dataclass
class AlarmFilter:
    severity: str | None = None
    type: str | None = None
    sector: str | None = None
    status: str | None = None  # one of AlarmStatus, or "active" / "cleared"
    device_id: int | None = None


def alarm_list(session: Session, actor: Actor, f: AlarmFilter, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
    """The filtered alarms in the viewer's subtree, newest first, with their device; (rows, more)."""
    stmt = service.scoped_alarms(actor).add_columns(Device.code, Device.name).join(Device, Device.id == Alarm.device_id)
    if f.severity:
        stmt = stmt.where(Alarm.severity == f.severity)
    if f.type:
        stmt = stmt.where(Alarm.type == f.type)
    if f.sector:
        stmt = stmt.where(Alarm.sector == f.sector)
    if f.device_id is not None:
        stmt = stmt.where(Alarm.device_id == f.device_id)
    if f.status in ("active", "cleared"):
        stmt = stmt.where(Alarm.cleared.is_(f.status == "cleared"))
    elif f.status:
        stmt = stmt.where(Alarm.status == f.status)
    stmt = stmt.order_by(Alarm.start_ts.desc(), Alarm.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    rows = [_alarm_row(a, code, name) for a, code, name in session.execute(stmt)]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _alarm_row(a: Alarm, code: str, name: str) -> dict[str, Any]:
    return {
        "id": a.id,
        "device_id": a.device_id,
        "device_code": code,
        "device_name": name,
        "type": a.type,
        "severity": a.severity,
        "status": a.status,
        "cleared": a.cleared,
        "acknowledged": a.acknowledged,
        "sector": a.sector,
        "value": a.value,
        "unit": (a.details or {}).get("unit", ""),
        "start_ts": a.start_ts,
        "end_ts": a.end_ts,
        "clear_ts": a.clear_ts,
        "acked_by": a.acked_by,
        "event_id": a.event_id,
        "notes": (a.details or {}).get("notes", []),
    }


def alarm_types(session: Session, actor: Actor) -> list[str]:
    """The alarm types the viewer's alarms have (for the type filter)."""
    stmt = org.scoped(select(Alarm.type).distinct(), Alarm.unit_path, actor).order_by(Alarm.type)
    return [str(t) for t in session.scalars(stmt.limit(200))]


def critical_active(session: Session, actor: Actor, unit_path: str, limit: int = 5) -> list[dict[str, Any]]:
    """Active critical alarms of the unit's subtree that the viewer sees (the cockpit's banner)."""
    stmt = (
        service.scoped_alarms(actor)
        .add_columns(Device.code, Device.name)
        .join(Device, Device.id == Alarm.device_id)
        .where(
            Alarm.cleared.is_(False), Alarm.severity == Severity.critical, org.in_subtree(Alarm.unit_path, unit_path)
        )
        .order_by(Alarm.start_ts.desc())
        .limit(limit)
    )
    return [_alarm_row(a, code, name) for a, code, name in session.execute(stmt)]


def device_page(session: Session, device: Device, range_key: str) -> dict[str, Any]:
    """A device's latest value, its rules (type's merged with its own) and its rollups over a range."""
    dtype = session.get(DeviceType, device.type_code)
    assert dtype is not None
    _label_zh, _label_en, span, period = RANGES.get(range_key, RANGES["24h"])
    until = clock.now()
    since = until - span
    rollups = service.series(session, device, period=period, since=since, until=until)
    return {
        "device": device,
        "type": dtype,
        "rules": merge_specs(dtype.rules or [], device.rules or []),
        "range": range_key if range_key in RANGES else "24h",
        "period": period,
        "since": since,
        "until": until,
        "series": [
            {
                "t": r.bucket.isoformat(),
                "mean": r.total / r.n if r.n else None,
                "min": r.min_value,
                "max": r.max_value,
                "n": r.n,
            }
            for r in rollups
        ],
    }


def ago(ts: datetime | None) -> float | None:
    return None if ts is None else (clock.now() - ts).total_seconds()
