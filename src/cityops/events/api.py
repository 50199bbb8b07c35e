"""Events routes: intake (single and batch), list, detail with timeline, actions, duplicates, export and
metrics (the catalogue, duty lists and working calendar are in api_catalogue.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute, limited_body
from cityops.core.errors import CityOpsError, Invalid, NotFound
from cityops.core.pagination import PageDep, paginate
from cityops.events import catalogue, export, importer, intake, merge, metrics, routing, service
from cityops.events.calendar import CST
from cityops.events.flow import EVENT_FLOW, PERMISSIONS
from cityops.events.models import Event, Status
from cityops.events.schemas import (
    ActionIn,
    BatchResult,
    BatchRowError,
    DuplicateCandidate,
    EventCreate,
    EventDetail,
    EventPage,
    EventRead,
    FlowOut,
    MetricsOut,
    TimelineEntry,
)
from cityops.events.views import read_events
from cityops.org import service as org
from cityops.workflow.engine import describe

router = APIRouter(prefix="/api", tags=["events"], route_class=TransactionalRoute)


@router.post(
    "/events",
    status_code=201,
    responses={
        200: {"description": "repeated idempotency key: the original"},
        422: {"description": "invalid field (named in data.field)"},
    },
)
def create_event(
    body: EventCreate,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
    triage: Annotated[bool, Query(description="unlocatable reports go to the city centre")] = True,
) -> EventRead:
    """Report a problem through any channel (the source must be one the caller may use)."""
    item = importer.to_item(body.model_dump(), reporter_user_id=actor.user_id if actor.has(Role.citizen) else None)
    item.idempotency_key = idempotency_key or item.idempotency_key
    result = intake.intake_one(session, actor, item, triage=triage)
    if not result.created:
        response.status_code = 200
    event = result.event or session.get(Event, result.event_id)  # a repeat (idempotent) is read back
    assert event is not None
    out = read_events(session, [event])[0]
    out.created = result.created
    return out


@router.post("/events/batch", responses={413: {"description": "too many rows"}})
async def batch_intake(
    request: Request, session: SessionDep, actor: ActorDep, triage: Annotated[bool, Query()] = True
) -> BatchResult:
    """Bulk intake: a JSON array, JSON lines (application/x-ndjson) or CSV (text/csv). Valid rows go in;
    invalid rows come back with their row number, field and reason."""
    body = await limited_body(request, max_mb=50, code="event.invalid_body")
    rows = importer.parse(body, request.headers.get("content-type", "application/json"))
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_batch, session, actor, rows, triage)


def _batch(
    session: Session, actor: Actor, rows: list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]], triage: bool
) -> BatchResult:
    errors: list[BatchRowError] = []
    items, numbers = [], []
    citizen = actor.user_id if actor.has(Role.citizen) else None
    for n, raw, err in rows:
        if err is not None or raw is None:
            errors.append(BatchRowError(row=n, **(err or {"field": "row", "reason": "empty", "error": "Invalid"})))
            continue
        try:
            items.append(importer.to_item(raw, reporter_user_id=citizen))
            numbers.append(n)
        except CityOpsError as exc:
            errors.append(BatchRowError(row=n, field=str(exc.data.get("field", "")), reason=exc.detail, error=exc.name))
    results = intake.intake_many(session, actor, items, triage=triage)
    created = duplicates = 0
    events = []
    for n, res in zip(numbers, results, strict=True):
        if res.error is not None:
            errors.append(
                BatchRowError(row=n, field=res.error["field"], reason=res.error["reason"], error=res.error["error"])
            )
            continue
        created += int(res.created)
        duplicates += int(not res.created)
        events.append({"row": n, "id": res.event_id, "ref": res.ref, "created": res.created})
    errors.sort(key=lambda e: e.row)
    return BatchResult(
        received=len(rows), created=created, duplicates=duplicates, failed=len(errors), events=events, errors=errors
    )


async def _filter(  # pure: on the event loop (see core.deps)
    status: Annotated[list[str] | None, Query(description="one or more statuses")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    family: Annotated[str | None, Query(max_length=40, description="事件大类, e.g. 市政设施")] = None,
    unit_id: Annotated[int | None, Query(description="only this unit's subtree")] = None,
    department_id: Annotated[int | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    source: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[datetime | None, Query(description="received at or after (ISO-8601)")] = None,
    until: Annotated[datetime | None, Query(description="received before (ISO-8601)")] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in title, description, address, or a ref")] = None,
    needs_review: Annotated[bool | None, Query(description="rated unsatisfied, awaiting the centre")] = None,
    open_only: Annotated[bool, Query(description="exclude closed, merged and voided")] = False,
) -> service.EventFilter:
    for s in status or []:
        if s not in Status.__members__:
            raise Invalid(
                f"未知状态 / unknown status {s!r}",
                field="status",
                allowed=list(Status.__members__),
                code="event.invalid_status",
            )
    return service.EventFilter(
        status=status,
        category=category,
        family=family,
        unit_id=unit_id,
        department_id=department_id,
        overdue=overdue,
        source=source,
        since=since,
        until=until,
        q=q,
        needs_review=needs_review,
        open_only=open_only,
    )


FilterDep = Annotated[service.EventFilter, Depends(_filter)]


@router.get("/events")
def list_events(session: SessionDep, actor: ActorDep, page: PageDep, f: FilterDep) -> EventPage:
    """Events in the caller's jurisdiction (or assigned to its department), newest first, with filters."""
    rows, total = paginate(session, service.list_events(session, actor, f), page)
    return EventPage.of(read_events(session, rows), total, page)


def _export_batches(session: Session, actor: Actor, f: service.EventFilter, limit: int) -> Iterator[list[EventRead]]:
    stmt = service.list_events(session, actor, f).limit(limit)
    batch: list[Event] = []
    for event in session.scalars(stmt.execution_options(yield_per=2000)):
        batch.append(event)
        if len(batch) == 2000:
            yield read_events(session, batch)
            batch = []
    yield read_events(session, batch)


ExportLimit = Annotated[int, Query(ge=1, le=200_000)]


@router.get("/events/export.csv", response_class=PlainTextResponse, responses={200: {"content": {"text/csv": {}}}})
def export_events(session: SessionDep, actor: ActorDep, f: FilterDep, limit: ExportLimit = 50_000) -> Response:
    """CSV export of the same scoped, filtered list for people: Chinese headers and names, China time,
    phones masked, with a BOM so Excel opens it as UTF-8."""
    text, rows = export.to_csv(_export_batches(session, actor, f, limit))
    audit.record(session, actor, "event.exported", ("event", "*"), rows=rows, format="csv")
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="events.csv"'},
    )


@router.get(
    "/events/export.xlsx",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def export_events_xlsx(session: SessionDep, actor: ActorDep, f: FilterDep, limit: ExportLimit = 50_000) -> Response:
    """The same export as an Excel workbook (times as date cells in China time)."""
    data, rows = export.to_xlsx(_export_batches(session, actor, f, limit))
    audit.record(session, actor, "event.exported", ("event", "*"), rows=rows, format="xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="events.xlsx"'},
    )


@router.get("/events/flow", tags=["events"])
def event_flow() -> FlowOut:
    """The workflow table (state × action → state) and who may take each action."""
    return FlowOut.model_validate(
        {
            **describe(EVENT_FLOW),
            "permissions": {
                a: {"roles": sorted(r.roles), "relation": r.relation, "note": r.note} for a, r in PERMISSIONS.items()
            },
        }
    )


@router.get("/events/{event_id}", responses={404: {"description": "absent or not yours"}})
def get_event(
    event_id: int,
    session: SessionDep,
    actor: ActorDep,
    reveal_phone: Annotated[
        bool, Query(description="show the reporter's phone and any ID or phone numbers in the text (audited)")
    ] = False,
    reason: Annotated[str, Query(max_length=200)] = "",
) -> EventDetail:
    """One event with its timeline and the actions the caller may take now."""
    event = service.access_event(session, actor, event_id)
    allowed = service.allowed_actions(event, actor, session)
    reveal = False
    if reveal_phone:
        if not allowed or actor.has(Role.citizen):
            raise NotFound(
                "无权查看号码 / you may not see this phone number",
                field="reveal_phone",
                code="event.reveal_not_allowed",
            )
        if not reason.strip():
            raise Invalid(
                "查看号码须说明理由 / give a reason to see the phone number",
                field="reason",
                code="event.invalid_reason",
            )
        audit.record(session, actor, "event.phone_revealed", event, reason=reason.strip())
        reveal = True
    base = read_events(session, [event], reveal=reveal)[0]
    base.allowed_actions = allowed
    entries = service.timeline(session, event)
    if actor.has(Role.citizen) and not actor.has(*[r for r in Role if r != Role.citizen]):
        entries = [e for e in entries if e.public]
    return EventDetail(**base.model_dump(), timeline=[TimelineEntry.model_validate(e) for e in entries])


@router.post(
    "/events/{event_id}/actions/{action}",
    responses={
        404: {"description": "absent, not yours, or unknown action"},
        409: {"description": "not allowed in this state (allowed listed), or stale version"},
        403: {"description": "your role or unit may not take this action"},
        422: {"description": "a required reason or field is missing"},
    },
)
def act_on_event(
    event_id: int, action: str, session: SessionDep, actor: ActorDep, body: Annotated[ActionIn | None, Body()] = None
) -> EventRead:
    """Take a workflow action: accept, dispatch, sign, start, report, verify, reject, close, rate, return,
    reassign, request_extension, approve_extension, deny_extension, suspend, resume, supervise, urge,
    escalate, merge, reopen, void."""
    event = service.access_event(session, actor, event_id)
    service.act(session, actor, event, action, service.ActionInput(**(body or ActionIn()).model_dump()))
    out = read_events(session, [event])[0]
    out.allowed_actions = service.allowed_actions(event, actor, session)
    return out


@router.get("/events/{event_id}/duplicates", responses={404: {"description": "absent or not yours"}})
def duplicates(event_id: int, session: SessionDep, actor: ActorDep) -> list[DuplicateCandidate]:
    """Likely duplicates (same family, ≤200 m, ≤48 h, similar text) for a dispatcher to merge."""
    event = service.access_event(session, actor, event_id)
    found = merge.candidates(session, actor, event)
    reads = read_events(session, [c.event for c in found])
    return [
        DuplicateCandidate(event=r, distance_m=c.distance_m, hours_apart=c.hours_apart, similarity=c.similarity)
        for r, c in zip(reads, found, strict=True)
    ]


# -- metrics -----------------------------------------------------------------------------------------------
def _unit_of(session: Session, actor: Actor, unit_id: int) -> tuple[int, str]:
    unit = org.access_unit(session, actor, unit_id)
    return unit.id, unit.name


@router.get("/metrics", tags=["metrics"])
def get_metrics(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[int | None, Query(description="default: the caller's own unit")] = None,
    since: Annotated[date | None, Query(description="first local day (default: 30 days ago)")] = None,
    until: Annotated[date | None, Query(description="last local day (default: today)")] = None,
    category: Annotated[str | None, Query()] = None,
) -> MetricsOut:
    """Received, closed, on-time closure rate, average handling time, return rate, satisfaction rate and
    overdue — for a unit's subtree, its child units, categories and departments, from incremental counters."""
    # The tree comes from the per-process routing view (a cockpit refreshes often); a unit it does not know
    # (retired, or made by another process seconds ago) is looked up, with the same 404 for not yours.
    ctx = routing.context(session)
    wanted = unit_id if unit_id is not None else (actor.unit_id or 0)
    known = ctx.units.get(wanted)
    uid, uname = (known.id, known.name) if known and actor.sees_path(known.path) else _unit_of(session, actor, wanted)
    today = clock.now().astimezone(CST).date()
    until = until or today
    since = since or (until - timedelta(days=29))
    if since > until:
        raise Invalid("since 不能晚于 until / since is after until", field="since", code="event.invalid_since")
    cat_ids = [catalogue.view(session).category(category).id] if category else None
    children = [c for c in ctx.children(uid) if c.level in ("district", "street") and actor.sees_path(c.path)]
    figs = metrics.figures(session, [uid, *(c.id for c in children)], since, until, category_ids=cat_ids)
    cats = catalogue.view(session).by_id
    depts = ctx.departments_of(uid)
    dept_figs = metrics.by_department(session, [d for d, _ in depts], since, until)
    return MetricsOut(
        unit_id=uid,
        unit_name=uname,
        since=since.isoformat(),
        until=until.isoformat(),
        figures=figs[uid].as_dict(),
        children=[{"unit_id": c.id, "name": c.name, **figs[c.id].as_dict()} for c in children],
        by_category=[
            {
                "category": cats[c].code if c in cats else str(c),
                "name": cats[c].name if c in cats else "",
                "received": n,
            }
            for c, n in metrics.by_category(session, uid, since, until)
        ],
        by_department=[{"department_id": d, "name": name, **dept_figs.get(d, {})} for d, name in depts],
    )
