"""Imports every domain's models so metadata (and Alembic) see all tables."""

from cityops.core import audit, auth, jobs, outbox  # noqa: F401
from cityops.events import jobs as event_jobs  # noqa: F401  (periodic deadline sweep)
from cityops.events import metrics as event_metrics  # noqa: F401  (counter flush hook)
from cityops.events import models as event_models
from cityops.events.open311 import models as open311_models  # noqa: F401
from cityops.indicators import jobs as indicator_jobs  # noqa: F401  (periodic computation)
from cityops.indicators import models as indicator_models  # noqa: F401
from cityops.org import models as org_models  # noqa: F401
from cityops.org import service as org_service  # noqa: F401  (registers the unit lookup for auth)
from cityops.plans import jobs as plan_jobs  # noqa: F401  (activation handlers, task and reminder sweeps)
from cityops.plans import models as plan_models
from cityops.risks import jobs as risk_jobs  # noqa: F401  (inspection deadline sweep)
from cityops.risks import models as risk_models
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
    R = risk_models
    register_unit_reference(R.RiskPoint.unit_id, R.RiskPoint.unit_path)
    register_unit_reference(R.Inspection.unit_id, R.Inspection.unit_path)
    register_unit_reference(R.Inspection.escalated_to_unit_id)
    register_unit_reference(R.Hazard.unit_id, R.Hazard.unit_path)
    register_unit_reference(R.Hazard.supervised_by_unit_id)
    register_unit_reference(R.PointPrompt.unit_id, R.PointPrompt.unit_path)


_register_unit_references()
