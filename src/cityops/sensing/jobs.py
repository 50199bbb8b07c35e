"""Periodic sensing work: devices that fell silent go offline (and raise their offline alarm); raw
readings older than the retention are dropped, by whole daily partitions on PostgreSQL (rollups stay)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cityops.core.hooks import hooks_of
from cityops.sensing import alarms, fold, partitions
from cityops.sensing.models import Device, DeviceType
from cityops.sensing.registry import registry_of
from cityops.sensing.rules import compile_rules


def detect_offline(session: Session, now: datetime) -> None:
    for dtype in session.scalars(select(DeviceType)):
        rule = next((r for r in compile_rules(dtype.rules or []) if r.kind == "offline"), None)
        if rule is None:
            continue
        cutoff = now - timedelta(seconds=rule.intervals * dtype.expected_interval_s)
        silent = session.execute(
            select(Device.code, Device.last_ts)
            .where(Device.type_code == dtype.code, Device.status == "active", Device.last_ts < cutoff)
            .limit(5000)
        ).all()
        if not silent:
            continue
        devices = registry_of(session).lookup(session, {code for code, _ in silent})
        for code, last_ts in silent:
            info = devices.get(code)
            if info is None:
                continue
            alarms.start_offline(session, info, now, (now - last_ts).total_seconds() if last_ts else 0.0)
            info.status = "offline"
        session.execute(
            update(Device)
            .where(Device.code.in_([c for c, _ in silent]))
            .values(status="offline")
            .execution_options(synchronize_session=False)
        )


def retention(session: Session, now: datetime) -> None:
    """Keep the coming days' partitions ready (PostgreSQL) and drop raw readings past the retention."""
    days = hooks_of(session).settings.reading_retention_days
    partitions.ensure(session, now, days_back=days)  # late readings of the kept days get their partition too
    partitions.drop_expired(session, now, days)


def fold_rollups(session: Session, now: datetime) -> None:
    """SQLite: fold the raw readings a stream left above the watermark when it stopped (`sensing.fold`)."""
    fold.fold_pending(session)
