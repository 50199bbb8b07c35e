"""What 渣土治理 plugs in: the GPS scan (every two minutes, reading sensing's new readings after its cursor) and
its rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.muck import detect
from cityops.muck import models as m

PATHS = (m.MuckSite.unit_path, m.Truck.unit_path, m.Violation.unit_path)
UNITS = (m.MuckSite.unit_id, m.Truck.unit_id)


def install(hooks: Hooks) -> None:
    hooks.every("muck.scan", timedelta(minutes=2), detect.scan)
    hooks.on_unit_changed("muck.follow_units", following(PATHS, UNITS))
