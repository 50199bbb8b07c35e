"""Imports every domain's models so metadata (and Alembic) see all tables."""

from cityops.core import audit, auth, files, jobs, outbox  # noqa: F401
from cityops.events import jobs as event_jobs  # noqa: F401  (periodic deadline sweep)
from cityops.events import metrics as event_metrics  # noqa: F401  (counter flush hook)
from cityops.events import models as event_models
from cityops.events.open311 import models as open311_models  # noqa: F401
from cityops.grid import form_models as grid_form_models
from cityops.grid import models as grid_models
from cityops.indicators import jobs as indicator_jobs  # noqa: F401  (periodic computation)
from cityops.indicators import models as indicator_models  # noqa: F401
from cityops.org import models as org_models  # noqa: F401
from cityops.org import service as org_service  # noqa: F401  (registers the unit lookup for auth)
from cityops.plans import jobs as plan_jobs  # noqa: F401  (activation handlers, task and reminder sweeps)
from cityops.plans import models as plan_models
from cityops.sensing import jobs as sensing_jobs  # noqa: F401  (offline detection, retention)
from cityops.sensing import models as sensing_models


def _register_unit_references() -> None:
    """Columns that point at org units or cache their paths follow units that move or merge."""
    from cityops.org.service import register_path_column, register_unit_reference

    E, D, A = event_models.Event, sensing_models.Device, sensing_models.Alarm
    P = plan_models
    register_unit_reference(E.unit_id, E.unit_path)
    register_unit_reference(E.owner_unit_id, E.owner_path)
    register_unit_reference(E.dispatcher_unit_id)
    register_unit_reference(E.supervised_by_unit_id)
    register_unit_reference(D.unit_id, D.unit_path)
    register_path_column(A.unit_path)
    register_path_column(P.Plan.unit_path)  # a merged-away unit's override stays with it (unique per unit)
    register_unit_reference(P.PlanRun.unit_id, P.PlanRun.unit_path)
    register_unit_reference(P.PlanStep.unit_id, P.PlanStep.unit_path)
    register_unit_reference(P.DirectReport.unit_id, P.DirectReport.unit_path)
    register_unit_reference(P.ReportNotice.unit_id)
    register_unit_reference(P.Notification.unit_id)
    G = grid_models
    # A grid's versions and its workers stay with the grid unit they were made for (unique per unit).
    register_path_column(G.Grid.unit_path)
    register_path_column(G.GridAssignment.unit_path)
    register_path_column(files.StoredFile.unit_path)
    register_unit_reference(grid_form_models.BaseRecord.community_id, grid_form_models.BaseRecord.unit_path)
    register_path_column(grid_form_models.ReportTemplate.unit_path)
    register_unit_reference(G.PatrolPlan.grid_unit_id, G.PatrolPlan.unit_path)
    register_unit_reference(G.PatrolSession.grid_unit_id, G.PatrolSession.unit_path)
    register_unit_reference(G.GridReport.grid_unit_id, G.GridReport.unit_path)


_register_unit_references()
