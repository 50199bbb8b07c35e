"""What the risk register plugs in: reassessment when an alarm hits a linked device or an event is reported
near a point (beside plan activation on the same topics), the inspection sweep, its runway figures, and its
rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.risks import bundle_kinds, figures, jobs, signals
from cityops.risks import models as r

PATHS = (r.RiskPoint.unit_path, r.Inspection.unit_path, r.Hazard.unit_path, r.PointPrompt.unit_path)
UNITS = (
    r.RiskPoint.unit_id,
    r.Inspection.unit_id,
    r.Inspection.escalated_to_unit_id,
    r.Hazard.unit_id,
    r.Hazard.supervised_by_unit_id,
    r.PointPrompt.unit_id,
)


def _answer(fn: Any) -> Any:
    def deliver(session: Session, payload: dict[str, Any]) -> None:
        fn(session, payload)

    return deliver


def install(hooks: Hooks) -> None:
    hooks.subscribe("sensing.alarm", "risks.reassess", _answer(signals.on_alarm))
    hooks.subscribe("event.received", "risks.reassess", _answer(signals.on_event))
    hooks.every("risks.sweep_inspections", timedelta(minutes=1), jobs.sweep_inspections)
    hooks.indicator_source("risks", figures.indicator_values)
    hooks.on_unit_changed("risks.follow_units", following(PATHS, UNITS))
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
