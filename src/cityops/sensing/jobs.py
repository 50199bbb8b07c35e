"""Periodic sensing work: devices that fell silent go offline (and raise their offline alarm); raw
readings older than the retention are dropped, by whole daily partitions on PostgreSQL; minute rollups older
than theirs are deleted (hour rollups stay)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from cityops.core.hooks import hooks_of
from cityops.sensing import alarms, fold, partitions
from cityops.sensing.models import Device, DeviceType, Rollup
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


# Minute rollups deleted per hourly run at most: a long backlog (a retention just shortened) goes over
# several runs instead of one huge transaction.
ROLLUP_BATCH = 100_000


def retention(session: Session, now: datetime) -> None:
    """Keep the coming days' partitions ready (PostgreSQL), drop raw readings past the retention and delete
    minute rollups past theirs."""
    settings = hooks_of(session).settings
    days = settings.reading_retention_days
    partitions.ensure(session, now, days_back=days)  # late readings of the kept days get their partition too
    partitions.drop_expired(session, now, days)
    if settings.minute_rollup_retention_days > 0:
        prune_minute_rollups(session, now - timedelta(days=settings.minute_rollup_retention_days))


def prune_minute_rollups(session: Session, before: datetime) -> int:
    """Delete up to `ROLLUP_BATCH` minute rollups whose bucket is before `before`; how many went. At one
    reading a minute they are as many rows as the raw readings, so kept for ever they would outgrow
    everything else; charts over longer spans read the hour rollups."""
    key = tuple_(Rollup.device_id, Rollup.period, Rollup.bucket)
    old = (
        select(Rollup.device_id, Rollup.period, Rollup.bucket)
        .where(Rollup.period == "m", Rollup.bucket < before)
        .limit(ROLLUP_BATCH)
    )
    result = session.execute(delete(Rollup).where(key.in_(old)).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def fold_rollups(session: Session, now: datetime) -> None:
    """SQLite: fold the raw readings a stream left above the watermark when it stopped (`sensing.fold`)."""
    fold.fold_pending(session)
