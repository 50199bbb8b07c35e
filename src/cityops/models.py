"""Imports every domain's models so metadata (and Alembic) see all tables. Nothing else: what domains
register (jobs, subscribers, hooks) is installed by `cityops.runtime.build_hooks`."""

from cityops.ai import models as ai_models  # noqa: F401
from cityops.apps import models as app_models  # noqa: F401
from cityops.catalog import models as catalog_models  # noqa: F401
from cityops.core import audit, auth, files, jobs, outbox  # noqa: F401
from cityops.events import models as event_models  # noqa: F401
from cityops.events.open311 import models as open311_models  # noqa: F401
from cityops.grid import form_models as grid_form_models  # noqa: F401
from cityops.grid import models as grid_models  # noqa: F401
from cityops.indicators import models as indicator_models  # noqa: F401
from cityops.muck import models as muck_models  # noqa: F401
from cityops.org import models as org_models  # noqa: F401
from cityops.plans import models as plan_models  # noqa: F401
from cityops.risks import models as risk_models  # noqa: F401
from cityops.sensing import models as sensing_models  # noqa: F401
from cityops.wages import models as wage_models  # noqa: F401
