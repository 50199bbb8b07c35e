"""What the data platform plugs in: the request deadline sweep, its indicator values (satisfaction rate,
aggregated entries, components) and its rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.catalog import jobs, metrics, notices
from cityops.catalog import models as c
from cityops.core.hooks import Hooks
from cityops.core.paths import following

PATHS = (
    c.CatalogEntry.unit_path,
    c.CatalogCorrection.reporter_unit_path,
    c.DataRequest.requester_unit_path,
    c.DataRequest.provider_unit_path,
    c.DataGrant.grantee_unit_path,
    c.CapabilityComponent.unit_path,
)
UNITS = (
    c.CatalogEntry.unit_id,
    c.DataRequest.requester_unit_id,
    c.DataRequest.provider_unit_id,
    c.DataRequest.escalated_to_unit_id,
    c.DataGrant.grantee_unit_id,
    c.CapabilityComponent.unit_id,
)


def install(hooks: Hooks) -> None:
    hooks.every("catalog.request_deadlines", timedelta(minutes=5), jobs.request_deadlines)
    hooks.indicator_source(
        "catalog", lambda s, ind, units, since, until: metrics.values(s, ind.source or {}, units, since, until)
    )
    hooks.on_unit_changed("catalog.follow_units", following(PATHS, UNITS))
    hooks.subscribe("catalog.request_submitted", "catalog.tell_provider", notices.on_submitted)
    hooks.subscribe("catalog.request_answered", "catalog.tell_requester", notices.on_answered)
    hooks.subscribe("catalog.request_overdue", "catalog.tell_centre_above", notices.on_overdue)
