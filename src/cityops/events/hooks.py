"""What the events domain plugs into the platform: counters folded at commit, the deadline sweep, and
events following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.events import bundle_kinds, fold, jobs, metrics, units


def install(hooks: Hooks) -> None:
    metrics.install(hooks)
    hooks.every("events.sweep_deadlines", timedelta(seconds=30), jobs.sweep_deadlines)
    hooks.every("events.fold_counter_shards", timedelta(minutes=10), fold.fold_past_days)
    hooks.on_unit_changed("events.follow_units", units.on_unit_changed)
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
