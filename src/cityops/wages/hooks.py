"""What 根治欠薪 plugs in: a case for every wage-arrears event, the closing rule of wage cases, the daily
wage-account watch, and its rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.wages import cases, jobs
from cityops.wages import models as w

PATHS = (w.Employer.unit_path, w.Project.unit_path, w.WageCase.unit_path)
UNITS = (w.Employer.unit_id, w.Project.unit_id)


def install(hooks: Hooks) -> None:
    hooks.subscribe("event.received", "wages.case", cases.on_event_received)
    hooks.guard_action("close", "wages.recovery_required", cases.guard_close)
    hooks.every("wages.watch_accounts", timedelta(hours=1), jobs.watch_accounts)
    hooks.on_unit_changed("wages.follow_units", following(PATHS, UNITS))
