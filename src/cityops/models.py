"""Imports every domain's models so metadata (and Alembic) see all tables."""

from cityops.core import audit, auth, jobs, outbox  # noqa: F401
from cityops.events import jobs as event_jobs  # noqa: F401  (periodic deadline sweep)
from cityops.events import metrics as event_metrics  # noqa: F401  (counter flush hook)
from cityops.events import models as event_models  # noqa: F401
from cityops.events.open311 import models as open311_models  # noqa: F401
from cityops.indicators import jobs as indicator_jobs  # noqa: F401  (periodic computation)
from cityops.indicators import models as indicator_models  # noqa: F401
from cityops.org import models as org_models  # noqa: F401
from cityops.org import service as org_service  # noqa: F401  (registers the unit lookup for auth)
from cityops.sensing import jobs as sensing_jobs  # noqa: F401  (offline detection, retention)
from cityops.sensing import models as sensing_models  # noqa: F401
