"""What the AI plugs in: its answer to every received event (suggestion, auto-dispatch, hot spots), the
daily retraining, and hot spots following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.ai import auto, jobs
from cityops.ai.models import HotSpot
from cityops.core.hooks import Hooks
from cityops.core.paths import following


def install(hooks: Hooks) -> None:
    hooks.subscribe("event.received", "ai.on_received", auto.on_received)
    hooks.every("ai.retrain", timedelta(hours=24), jobs.retrain_job)
    hooks.on_unit_changed("ai.follow_units", following((HotSpot.unit_path,), (HotSpot.unit_id,)))
