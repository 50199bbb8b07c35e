"""渣土治理 in the browser: a map of the day's truck tracks (ECharts over the district outlines, like the
cockpit), the licensed sites and the day's violations, with the KPIs of the viewer's unit and the lists
of trucks and sites. Pages call the same services as the API and show only the user's subtree."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cityops.core import clock
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.events.calendar import CST
from cityops.muck import kpis, service
from cityops.muck.defaults import KIND_NAME, KIND_NAME_EN
from cityops.muck.models import MuckSite, Truck
from cityops.web.deps import PageActor
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text) if text else clock.now().astimezone(CST).date()
    except ValueError:
        return clock.now().astimezone(CST).date()


@router.get("/muck", response_class=HTMLResponse)
def muck_page(
    request: Request, session: SessionDep, actor: PageActor, day: Annotated[str, Query(max_length=10)] = ""
) -> HTMLResponse:
    shown = _day(day)
    start, end = service.day_bounds(shown)
    trucks: list[Truck] = list(session.scalars(service.trucks(actor).limit(2000)))
    sites: list[MuckSite] = list(session.scalars(service.sites(actor).limit(2000)))
    found = [v for v in service.violations(session, actor, since=start) if v.at < end]
    plates = {t.id: t.plate for t in trucks}
    first, last = kpis.default_period(clock.now())
    data = {
        "tracks": service.tracks_of_day(session, actor, shown),
        "sites": [
            {"name": s.name, "kind": s.kind, "value": [s.lon, s.lat], "radius": s.radius_m, "polygon": s.polygon}
            for s in sites
        ],
        "violations": [
            {"name": plates.get(v.truck_id, ""), "kind": v.kind, "value": [v.lon, v.lat], "event_id": v.event_id}
            for v in found
        ],
    }
    return render(
        request,
        "muck.html",
        actor=actor,
        day=shown,
        prev_day=shown - timedelta(days=1),
        next_day=shown + timedelta(days=1),
        trucks=trucks,
        sites=sites,
        violations=found,
        plates=plates,
        kind_names=(KIND_NAME, KIND_NAME_EN),
        site_kinds=service.SITE_KINDS,
        kpis=kpis.compute(session, actor, first, last),
        definitions=kpis.DEFINITIONS,
        map_json=json.dumps(data, ensure_ascii=False, default=_iso),
    )


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)
