"""What the indicators domain plugs into the platform: periodic recomputation of indicator values."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.indicators import bundle_kinds, jobs


def install(hooks: Hooks) -> None:
    hooks.every("indicators.compute", timedelta(minutes=5), jobs.compute)
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
