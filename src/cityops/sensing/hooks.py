"""What the sensing domain plugs into the platform: offline detection, retention of raw readings, its
per-process device registry, and devices/alarms following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.hooks import Hooks, UnitChanged
from cityops.org.service import replace_unit, rewrite_paths
from cityops.sensing import jobs
from cityops.sensing.models import Alarm, Device
from cityops.sensing.registry import REGISTRY_KEY, Registry


def follow_units(session: Session, actor: Actor, change: UnitChanged) -> None:
    for old, new in change.moves:
        rewrite_paths(session, Device.unit_path, old, new)
        rewrite_paths(session, Alarm.unit_path, old, new)
    for retired_id, successor_id, _ in change.merged:
        replace_unit(session, Device.unit_id, retired_id, successor_id)


def install(hooks: Hooks) -> None:
    hooks.state[REGISTRY_KEY] = Registry()
    hooks.every("sensing.detect_offline", timedelta(minutes=1), jobs.detect_offline)
    hooks.every("sensing.retention", timedelta(hours=1), jobs.retention)
    hooks.on_unit_changed("sensing.follow_units", follow_units)
