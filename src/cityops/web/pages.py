"""Server-rendered pages: login, cockpits (city, district, street), event list and detail, live feed.

Pages call the same services as the API; every figure, list and stream is scoped to the user's subtree.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cityops.core import auth, clock
from cityops.core.actor import Actor
from cityops.core.deps import SESSION_COOKIE, SessionDep, TransactionalRoute, start_session
from cityops.core.errors import CityOpsError, Invalid
from cityops.events import service as events
from cityops.events.calendar import CST
from cityops.events.models import Event, EventLog
from cityops.events.service import EventFilter
from cityops.events.views import read_events
from cityops.grid.service import GRID_ADMINS
from cityops.indicators.boards import boards_for
from cityops.org import service as org
from cityops.org.models import OrgLevel
from cityops.web import cockpit, csrf
from cityops.web.deps import PageActor, SessionForm
from cityops.web.i18n import (
    ACTIONS,
    NAMES,
    STATUS,
    actor_label,
    bilingual,
    countdown,
    duration_label,
    label,
    lang_of,
    translator,
)
from cityops.web.params import page_of, query_string

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _local(value: datetime | str | None, fmt: str = "%m-%d %H:%M") -> str:
    """Times on pages are China Standard Time (the API speaks UTC; ISO strings are accepted too)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(CST).strftime(fmt) if value is not None else "—"


def _in_lang(text: str, li: int) -> str:
    """A bilingual message ("中文 / English", as the services raise them) in the page's language; a text with
    no English half stays whole."""
    return text.split(" / ")[0] if li == 0 else text.split(" / ", 1)[-1]


templates.env.filters["local"] = _local
templates.env.filters["in_lang"] = _in_lang
templates.env.filters["actor_label"] = actor_label
templates.env.filters["bilingual"] = bilingual
FEED_ACTIONS = ("receive", "overdue", "escalate", "return", "close", "supervise", "alarm")


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    context.setdefault("actor", None)
    session = getattr(request.state, "_db_session", None)
    # Not after a failed statement (the error page must render): the session then awaits its rollback.
    if session is not None and session.is_active and context.get("workspace") is None:
        from cityops.web import workspace

        if workspace.is_staff(context["actor"]):  # the bell, the 待办 count and the direct-report banner
            context["workspace"] = workspace.header(session, context["actor"])
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "csrf_token": csrf.token_for(request),
            "status_names": STATUS,
            "action_names": ACTIONS,
            "names": NAMES,
            "label": label,
            "countdown": countdown,
            "duration": duration_label,
            "li": 1 if lang == "en" else 0,
            **context,
        },
        status_code=status_code,
    )
    csrf.set_cookie(request, response)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", request.query_params["lang"], samesite="lax")
    return response


def local_url(next_url: str, fallback: str) -> str:
    """A redirect target from a form: only a path on this site (never another host)."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else fallback


def html_error(request: Request, exc: CityOpsError) -> HTMLResponse:
    return render(request, "error.html", status_code=exc.status_code, error=exc)


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/cockpit", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/cockpit") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/cockpit", failed=False)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    form: SessionForm,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/cockpit",
) -> Response:
    try:
        user = auth.authenticate(form.session, username, password)
    except auth.LoginFailed:
        form.request.state.keep_changes = True
        return render(form.request, "login.html", status_code=401, next=next, failed=True)
    response = RedirectResponse(next if next.startswith("/") else "/cockpit", status_code=303)
    start_session(form.request, response, form.session, user, via="web")
    return response


@router.post("/logout", response_class=RedirectResponse)
def logout(form: SessionForm) -> RedirectResponse:
    token = form.request.cookies.get(SESSION_COOKIE)
    if token:
        auth.revoke_token(form.session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/cockpit", response_class=RedirectResponse)
def my_cockpit(actor: PageActor) -> RedirectResponse:
    return RedirectResponse(f"/cockpit/{actor.unit_id or 0}", status_code=303)


@router.get("/cockpit/{unit_id}", response_class=HTMLResponse)
def cockpit_page(
    unit_id: int, request: Request, session: SessionDep, actor: PageActor, wall: Annotated[int, Query()] = 0
) -> HTMLResponse:
    """A unit's cockpit; `?wall=1` lays it out for a 1920×1080 wall screen (大屏) with no scrolling."""
    from cityops.web import layers

    unit = org.access_unit(session, actor, unit_id)
    summary = cockpit.summary(session, actor, unit)
    ancestors = [a for a in org.ancestors(session, unit)[:-1] if actor.sees_path(a.path)]
    latest = read_events(session, cockpit.latest_events(session, actor, unit, limit=8 if wall else 15))
    communities = cockpit.community_counts(session, actor, unit) if unit.level == OrgLevel.street else []
    grid_tiles = _grid_tiles(session, actor, unit) if unit.level in (OrgLevel.street, OrgLevel.community) else {}
    en = lang_of(request) == "en"
    from cityops.ai import hotspots
    from cityops.ai.views import hotspot_out

    spots = [hotspot_out(session, h) for h in hotspots.list_hotspots(session, actor, unit_path=unit.path, limit=5)]
    data = summary.as_dict(en) | {"layers": layers.layer_list(unit, en) if unit.level != OrgLevel.street else []}
    return render(
        request,
        "cockpit.html",
        actor=actor,
        unit=unit,
        runways=[r for b in boards_for(session, actor, unit) for r in b["runways"] if r["indicators"]],
        summary=summary,
        tiles=summary.tile_list(en),
        updated_at=_local(clock.now(), "%H:%M:%S"),
        ancestors=ancestors,
        latest=latest,
        communities=communities,
        grid_tiles=grid_tiles,
        may_manage_grids=actor.has(*GRID_ADMINS),  # /grid is the centre's page: a grid worker gets no link to a 403
        hotspots=spots,
        map_layers=data["layers"],
        critical_alarms=_critical_alarms(session, actor, unit),
        wall=bool(wall),
        summary_json=json.dumps(data, ensure_ascii=False),
    )


def _critical_alarms(session: Any, actor: Actor, unit: Any) -> list[dict[str, Any]]:
    """Active critical sensor alarms of the unit's subtree, announced in a banner on its cockpit."""
    from cityops.sensing.views import critical_active

    return critical_active(session, actor, unit.path)


def _grid_tiles(session: Any, actor: Actor, unit: Any) -> dict[str, Any]:
    """基层智治 KPI tiles on a street's (or community's) cockpit."""
    from cityops.web.grid_street import kpi_tiles

    return kpi_tiles(session, actor, unit)


@router.get("/cockpit/{unit_id}/summary.json", response_class=JSONResponse)
def cockpit_summary(unit_id: int, request: Request, session: SessionDep, actor: PageActor) -> JSONResponse:
    """The cockpit's figures for a refresh without reloading the page (times in China time, zone named)."""
    unit = org.access_unit(session, actor, unit_id)
    body = cockpit.summary(session, actor, unit).as_dict(lang_of(request) == "en")
    body["updated_at_local"] = _local(clock.now(), "%H:%M:%S")
    return JSONResponse(body)


@router.get("/cockpit/{unit_id}/stream")
async def cockpit_stream(unit_id: int, request: Request, session: SessionDep, actor: PageActor) -> StreamingResponse:
    """Server-sent events: new events, overdue escalations and alarms in this unit's subtree."""
    unit = await run_in_threadpool(org.access_unit, session, actor, unit_id)
    path = unit.path
    last = await run_in_threadpool(lambda: session.scalar(select(EventLog.id).order_by(EventLog.id.desc()).limit(1)))
    factory = request.app.state.sessionmaker
    poll = float(getattr(request.app.state.settings, "feed_poll_seconds", 1.0))

    def fetch(after: int) -> list[dict[str, Any]]:
        with factory() as s:
            rows = s.execute(
                select(
                    EventLog.id,
                    EventLog.at,
                    EventLog.action,
                    EventLog.note,
                    Event.id,
                    Event.ref,
                    Event.title,
                    Event.severity,
                    Event.status,
                )
                .join(Event, Event.id == EventLog.event_id)
                .where(
                    EventLog.id > after,
                    EventLog.action.in_(FEED_ACTIONS),
                    org.in_subtree(Event.unit_path, path),
                    events.visible(actor),
                )
                .order_by(EventLog.id)
                .limit(50)
            ).all()
        return [
            {
                "log_id": r[0],
                "at": r[1].isoformat(),
                "at_local": _local(r[1], "%H:%M"),
                "action": r[2],
                "note": r[3][:120],
                "event_id": r[4],
                "ref": r[5],
                "title": r[6],
                "severity": r[7],
                "status": r[8],
            }
            for r in rows
        ]

    async def stream() -> AsyncIterator[str]:
        after, idle = int(last or 0), 0.0
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            items = await run_in_threadpool(fetch, after)
            for item in items:
                after = item["log_id"]
                yield f"event: feed\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"
            idle = 0.0 if items else idle + poll
            if idle >= 15:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(poll)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    status: Annotated[str, Query(max_length=16)] = "",
    overdue: Annotated[str, Query()] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
    unit_id: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    f = EventFilter(
        status=[status] if status in STATUS else None,
        overdue=True if overdue == "1" else None,
        q=q or None,
        unit_id=unit_id,
    )
    rows, more = page_of(session, events.list_events(session, actor, f), page, 25)
    query = query_string({"status": status, "overdue": overdue, "q": q, "unit_id": unit_id or ""})
    return render(
        request,
        "events.html",
        actor=actor,
        items=read_events(session, rows),
        page=page,
        more=more,
        status=status,
        overdue=overdue,
        q=q,
        query=query,
    )


T = TypeVar("T")


def change_or_show(
    session: Session,
    load: Callable[[], T],
    change: Callable[[T], object],
    show: Callable[[T, str, int], Response],
    done_url: str,
) -> Response:
    """A page form's handler: load the object (scoped), apply the change; go on with 303 to the URL the change
    returns if it returns one (a str; a changed row it returns is ignored), else to `done_url`; or — on a
    business error — roll back and show the page again with the reason beside the form, under the error's
    status."""
    obj = load()
    try:
        target = change(obj)
    except CityOpsError as exc:
        session.rollback()
        return show(load(), exc.detail, exc.status_code)
    return RedirectResponse(target if isinstance(target, str) and target else done_url, status_code=303)


def import_or_show(
    session: Session,
    upload: UploadFile,
    limit: int,
    too_large: str,
    run: Callable[[bytes], dict[str, Any]],
    show: Callable[..., HTMLResponse],
) -> HTMLResponse:
    """An import form's handler: read the upload (refused past `limit` bytes with the message `too_large`), run
    the import on its bytes and show the page with what it answers as `result`; or — on a business error — roll
    back and show the page with the reason, under the error's status."""
    raw = upload.file.read(limit + 1)
    try:
        if len(raw) > limit:
            raise Invalid(too_large, code="file.too_large", field="file")
        result = run(raw)
    except CityOpsError as exc:
        session.rollback()
        return show(status_code=exc.status_code, error=exc.detail)
    return show(result=result)
