"""What the apps domain plugs in: the menu content kind, the ledger runway's figures, and the hourly
derivation of 贯通实战 from use; deployments follow units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.apps import figures, jobs, kinds
from cityops.apps.models import AppDeployment
from cityops.core.hooks import Hooks
from cityops.core.paths import following


def install(hooks: Hooks) -> None:
    for kind in kinds.kinds():
        hooks.bundle_kind(kind)
    hooks.indicator_source("apps", figures.indicator_values)
    hooks.every("apps.derive_connected", timedelta(hours=1), jobs.derive_connected)
    hooks.on_unit_changed("apps.follow_units", following((AppDeployment.unit_path,), (AppDeployment.unit_id,)))
