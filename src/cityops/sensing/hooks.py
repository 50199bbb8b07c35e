"""What the sensing domain plugs into the platform: offline detection, retention of raw readings, the
rollups a stream that stopped left unfolded (SQLite), its
per-process device registry, and devices/alarms following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.sensing import bundle_kinds, jobs
from cityops.sensing.models import Alarm, Device
from cityops.sensing.registry import REGISTRY_KEY, Registry


def install(hooks: Hooks) -> None:
    hooks.state[REGISTRY_KEY] = Registry()
    hooks.every("sensing.detect_offline", timedelta(minutes=1), jobs.detect_offline)
    hooks.every("sensing.retention", timedelta(hours=1), jobs.retention)
    hooks.every("sensing.fold_rollups", timedelta(seconds=5), jobs.fold_rollups)
    hooks.on_unit_changed("sensing.follow_units", following((Device.unit_path, Alarm.unit_path), (Device.unit_id,)))
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
