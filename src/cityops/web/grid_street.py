"""The street's grid page (基层智治): grid KPIs for its subtree, the roster (who covers which grid, how,
when, how to reach them), grids without a worker, flagged patrols and missed patrols."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.grid import kpis, patrols
from cityops.grid import service as grids
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.web.deps import PageActor
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

# Tile key -> (Chinese, English) label; rates are shown as percentages.
TILES = {
    "reports_per_worker": ("人均上报", "Reports per worker"),
    "valid_report_rate": ("有效上报率", "Valid report rate"),
    "on_spot_rate": ("就地解决率", "Fixed on the spot"),
    "patrol_coverage": ("巡查覆盖率", "Patrol coverage"),
    "on_time_checkin_rate": ("按时签到率", "On-time check-ins"),
}


def kpi_tiles(session: Session, actor: Actor, unit: OrgUnit) -> dict[str, Any]:
    """The grid KPI tiles of a unit's subtree over the last seven China days (for this page and the cockpit)."""
    first, last = kpis.default_period(clock.now())
    k = kpis.compute(session, actor, unit, first, last)
    return {"kpis": k, "figures": k.as_dict(), "labels": TILES, "definitions": kpis.DEFINITIONS}


@router.get("/grid", response_class=HTMLResponse)
def street_grid_page(
    request: Request, session: SessionDep, actor: PageActor, unit_id: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    grids.require_admin(actor)
    unit = org.access_unit(session, actor, unit_id or actor.unit_id or 0)
    first, last = kpis.default_period(clock.now())
    flagged = list(session.scalars(patrols.list_sessions(session, actor, flagged=True).limit(50)))
    names = {g.id: g.name for g, _ in session.execute(grids.list_grids(session, actor, within=unit)).all()}
    return render(
        request,
        "grid_street.html",
        actor=actor,
        unit=unit,
        roster=grids.roster(session, actor, within=unit),
        coverage=grids.coverage(session, actor, within=unit),
        flagged=[p for p in flagged if p.unit_path.startswith(unit.path)],
        missed=[d for d in patrols.plan_days(session, actor, first, last, within=unit) if d.missed],
        grid_names=names,
        **kpi_tiles(session, actor, unit),
    )
