"""The catalogue's figures for the indicator runways (one definition each; docs/concepts.md):
归集数据类数, 数据供需满足率, 上架能力组件数 and AI+ 组件数, per unit subtree (by the provider's unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.catalog import components, requests
from cityops.catalog.models import CatalogEntry, EntryState
from cityops.org.models import OrgUnit
from cityops.org.service import in_subtree


def aggregated_count(session: Session, unit_path: str) -> int:
    """归集数据类数: published entries whose data is held on the platform, provided in the subtree."""
    stmt = select(func.count()).where(
        CatalogEntry.state == EntryState.published,
        CatalogEntry.aggregated.is_(True),
        in_subtree(CatalogEntry.unit_path, unit_path),
    )
    return int(session.scalar(stmt) or 0)


def values(
    session: Session, source: dict[str, Any], units: list[OrgUnit], since: date, until: date
) -> dict[int, float | None]:
    metric = source.get("metric")
    out: dict[int, float | None] = {}
    for unit in units:
        if metric == "aggregated":
            out[unit.id] = float(aggregated_count(session, unit.path))
        elif metric == "satisfaction":
            out[unit.id] = requests.satisfaction(session, unit.path, since, until).rate
        elif metric == "components":
            out[unit.id] = float(components.counts(session, unit.path, kind=source.get("kind")))
    return out
