"""What the grid domain plugs into the platform: its rows follow units that move or merge. A grid's
versions, workers, templates and duty items stay with the unit they were made for (one per unit); patrols,
reports and base records follow a merged-away unit to its successor. It offers two indicator sources:
the grid KPIs (`grid`) and aggregates of 一表通 fields (`form`)."""

from __future__ import annotations

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.grid import bundle_kinds, figures
from cityops.grid import form_models as forms
from cityops.grid import models as g

PATHS = (
    g.Grid.unit_path,
    g.GridAssignment.unit_path,
    g.PatrolPlan.unit_path,
    g.PatrolSession.unit_path,
    g.GridReport.unit_path,
    g.DutyItem.unit_path,
    g.DutyAdmission.unit_path,
    forms.BaseRecord.unit_path,
    forms.ReportTemplate.unit_path,
)
FOLLOW_SUCCESSOR = (
    g.PatrolPlan.grid_unit_id,
    g.PatrolSession.grid_unit_id,
    g.GridReport.grid_unit_id,
    forms.BaseRecord.community_id,
)


def install(hooks: Hooks) -> None:
    hooks.on_unit_changed("grid.follow_units", following(PATHS, FOLLOW_SUCCESSOR))
    hooks.indicator_source("grid", figures.grid_values)
    hooks.indicator_source("form", figures.form_values)
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
