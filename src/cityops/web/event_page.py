"""The event page: the facts (location path, map pin, who handles it, the stage deadline as a countdown),
one labelled action form (a note box, the action chosen by button; 作废 apart), the direct report and plan
runs with their tasks, and the timeline in words. Acting posts to /events/{id}/act."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError
from cityops.events import service as events
from cityops.events.flow import NEEDS_REASON
from cityops.events.models import Event
from cityops.events.views import read_events
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit, UnitGeometry
from cityops.web.deps import PageActor, PageForm
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
# Actions with a field of their own besides the note; the rest are one button each.
DESTRUCTIVE = ("void",)


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(event_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    event = events.access_event(session, actor, event_id)
    return _event_detail(request, session, actor, event)


def _master_id(session: Any, actor: Actor, text: str) -> int | None:
    """The merge form accepts an event id or its reference (CQ…)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text:
        found = session.scalar(select(Event.id).where(Event.ref == text, events.visible(actor)))
        return int(found) if found is not None else -1
    return None


def _event_detail(
    request: Request, session: Any, actor: Actor, event: Event, error: str = "", status_code: int = 200
) -> HTMLResponse:
    detail = read_events(session, [event])[0]
    allowed = events.allowed_actions(event, actor, session)
    plan_runs = _plan_runs(session, event)
    timeline = events.timeline(session, event)
    departments = (
        list(session.scalars(org.list_departments(session, actor).limit(200)))
        if ({"dispatch", "reassign"} & set(allowed))
        else []
    )
    path = _location_path(session, event)
    from cityops.ai import assist

    return render(
        request,
        "event.html",
        status_code=status_code,
        actor=actor,
        event=detail,
        allowed=[a for a in allowed if a not in DESTRUCTIVE],
        destructive=[a for a in allowed if a in DESTRUCTIVE],
        needs_reason=NEEDS_REASON,
        location_path=path,
        map_json=json.dumps(_map_data(session, event, path), ensure_ascii=False),
        now=clock.now(),
        timeline=timeline,
        departments=departments,
        plan_runs=plan_runs,
        actionable=_actionable_steps(actor, plan_runs),
        direct_reports=_direct_reports(session, actor, event),
        ai=assist.panel(session, actor, event, allowed) if actor.department_id is None else None,
        ai_error=request.query_params.get("ai_error", "")[:300],
        categories=_categories(session) if "recategorize" in allowed else [],
        error=error,
        partial=request.headers.get("HX-Request") == "true",
    )


def _categories(session: Any) -> list[tuple[str, str]]:
    from cityops.events import catalogue

    cats = sorted(catalogue.view(session).by_code.values(), key=lambda c: c.code)
    return [(c.code, f"{c.family} · {c.name}") for c in cats]


def _location_path(session: Any, event: Event) -> list[OrgUnit]:
    """district › street › community › grid of the event's location (the city is implied)."""
    unit = session.get(OrgUnit, event.unit_id)
    if unit is None:
        return []
    return [u for u in org.ancestors(session, unit) if u.level != OrgLevel.city]


def _map_data(session: Any, event: Event, path: list[OrgUnit]) -> dict[str, Any]:
    """The pin and the outline of the event's district (the only polygons any source gives)."""
    district = next((u for u in path if u.level == OrgLevel.district), None)
    geometry = (
        session.scalar(select(UnitGeometry.geojson).where(UnitGeometry.unit_id == district.id)) if district else None
    )
    features = (
        [{"type": "Feature", "properties": {"name": district.name}, "geometry": json.loads(geometry)}]
        if district is not None and geometry
        else []
    )
    point = [event.lon, event.lat] if event.lon is not None and event.lat is not None else None
    attrs = event.attributes if isinstance(event.attributes, dict) else {}
    track = attrs.get("track") if isinstance(attrs.get("track"), list) else []  # e.g. a muck truck's positions
    return {
        "geo": {"type": "FeatureCollection", "features": features},
        "point": point,
        "ref": event.ref,
        "track": track,
    }


def _plan_runs(session: Any, event: Event) -> list[tuple[Any, list[Any]]]:
    """The plans started for this event, with their steps (the event is already visible to the actor)."""
    from cityops.plans import runs
    from cityops.plans.models import PlanRun

    found = session.scalars(select(PlanRun).where(PlanRun.event_id == event.id).order_by(PlanRun.id))
    return [(run, runs.steps_of(session, run.id)) for run in found]


def _actionable_steps(actor: Actor, plan_runs: list[tuple[Any, list[Any]]]) -> set[int]:
    """Pending steps of open runs that this user may complete or skip from the page."""
    from cityops.plans import runs

    return {
        st.id
        for run, steps in plan_runs
        if run.status == "open"
        for st in steps
        if st.status == "pending" and runs.may_act(actor, st)
    }


def _direct_reports(session: Any, actor: Actor, event: Event) -> list[dict[str, Any]]:
    """The event's direct report with, per level, when it was told and acknowledged; `can_ack` when the
    actor's own centre still has to acknowledge."""
    from cityops.plans import direct
    from cityops.plans.models import DirectReport

    out = []
    for report in session.scalars(select(DirectReport).where(DirectReport.event_id == event.id)):
        t = direct.timeline(session, report)
        t["can_ack"] = (
            actor.has(*direct.ACKNOWLEDGERS)
            and actor.department_id is None
            and any(lvl["unit_id"] == actor.unit_id and not lvl["acknowledged_at"] for lvl in t["levels"])
        )
        out.append(t)
    return out


@router.post("/events/{event_id}/act", response_class=HTMLResponse)
def event_act(
    event_id: int,
    form: PageForm,
    action: Annotated[str, Form(max_length=24)],
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
    department_id: Annotated[str, Form()] = "",
    duration: Annotated[str, Form(max_length=10)] = "",
    rating: Annotated[str, Form(max_length=24)] = "",
    master_id: Annotated[str, Form(max_length=24)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    event = events.access_event(form.session, form.actor, event_id)
    try:
        body = events.ActionInput(
            note=note,
            version=version,
            duration=duration or None,
            rating=rating or None,
            department_id=int(department_id) if department_id.isdigit() else None,
            master_id=_master_id(form.session, form.actor, master_id) if action == "merge" else None,
            category=category or None,
        )
        events.act(form.session, form.actor, event, action, body)
    except CityOpsError as exc:
        form.session.rollback()
        event = events.access_event(form.session, form.actor, event_id)
        return _event_detail(
            form.request, form.session, form.actor, event, error=exc.detail, status_code=exc.status_code
        )
    if form.request.headers.get("HX-Request") == "true":
        return _event_detail(form.request, form.session, form.actor, event)
    return RedirectResponse(f"/events/{event_id}", status_code=303)
