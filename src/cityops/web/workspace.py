"""The daily workspace: 待办 (what waits on me, from every domain), the notification centre, and what the
header of every staff page shows (unread count, 待办 count, the banner of an unacknowledged direct report).

A domain joins 待办 with one line in TODO_SOURCES: its service's `todo_items(session, actor, now)`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.catalog import requests as catalog_requests
from cityops.core import clock
from cityops.core.actor import Actor, Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.schemas import Schema
from cityops.core.todo import TodoItem
from cityops.events import service as events
from cityops.grid import todo as grid_todo
from cityops.plans import direct, notify
from cityops.plans import service as plans
from cityops.plans.models import DirectReport, Notification, PlanRun, PlanStep
from cityops.risks import todo as risks_todo
from cityops.web.deps import PageActor, PageForm
from cityops.web.i18n import NOTIFICATION_KIND, countdown, lang_of
from cityops.web.pages import local_url, render
from cityops.web.params import page_of

TodoSource = Callable[[Session, Actor, datetime], list[TodoItem]]
TODO_SOURCES: tuple[TodoSource, ...] = (
    events.todo_items,
    plans.todo_items,
    risks_todo.todo_items,
    grid_todo.todo_items,
    catalog_requests.todo_items,
)

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["workspace"], route_class=TransactionalRoute)


def gather(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """Every domain's items for this actor, most urgent first."""
    items = [item for source in TODO_SOURCES for item in source(session, actor, now)]
    return sorted(items, key=lambda i: i.sort_key(now))


def counts(items: list[TodoItem], now: datetime) -> dict[str, Any]:
    return {
        "total": len(items),
        "overdue": sum(1 for i in items if i.due_at is not None and i.due_at < now),
        "urgent": sum(1 for i in items if i.urgent),
        "by_kind": Counter(i.kind_label for i in items).most_common(),
    }


def is_staff(actor: Actor | None) -> bool:
    return actor is not None and actor.has(*[r for r in Role if r is not Role.citizen])


def header(session: Session, actor: Actor) -> dict[str, Any]:
    """What every staff page shows at the top: unread notifications, the 待办 count, and a banner per
    direct report the actor's centre has not acknowledged."""
    now = clock.now()
    alerts = [
        {
            "report_id": report.id,
            "ref": report.ref,
            "title": report.title,
            "drill": report.is_drill,
            "url": f"/events/{report.event_id}" if report.event_id else "/direct-report",
            "minutes": int((now - notice.first_notified_at).total_seconds() // 60),
        }
        for notice, report in direct.unacknowledged(session, actor, limit=5)
    ]
    return {
        "unread": notify.unread_count(session, actor),
        "todo": len(gather(session, actor, now)),
        "alerts": alerts,
        "now": now,
    }


# -- 待办 ----------------------------------------------------------------------------------------------------
class TodoRead(Schema):
    kind: str
    kind_label: str
    title: str
    url: str
    unit_name: str
    due_at: datetime | None
    seconds_left: int | None = Field(description="negative when overdue; null without a deadline")
    urgent: bool
    ref: str


class TodoPage(Schema):
    items: list[TodoRead]
    total: int
    overdue: int
    urgent: int


@api_router.get("/todo")
def todo_api(session: SessionDep, actor: ActorDep) -> TodoPage:
    """待办: what waits on the caller (department, centre, or a leader's subtree), most urgent first."""
    now = clock.now()
    items = gather(session, actor, now)
    c = counts(items, now)
    out = [
        TodoRead(**dataclasses.asdict(i), seconds_left=int((i.due_at - now).total_seconds()) if i.due_at else None)
        for i in items
    ]
    return TodoPage(items=out, total=c["total"], overdue=c["overdue"], urgent=c["urgent"])


@router.get("/todo", response_class=HTMLResponse)
def todo_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    now = clock.now()
    items = gather(session, actor, now)
    li = 1 if lang_of(request) == "en" else 0
    rows = [(i, countdown(i.due_at, now, li)) for i in items]
    return render(request, "todo.html", actor=actor, rows=rows, counts=counts(items, now), now=now)


# -- notification centre -------------------------------------------------------------------------------------
def subject_url(session: Session, n: Notification) -> str:
    """Where a notification's matter is worked on (the event page of a report, run or step; the request)."""
    if n.subject_type == "data_request":
        return f"/catalog/requests/{n.subject_id}"
    if n.subject_type == "event":
        return f"/events/{n.subject_id}"
    event_id: int | None = None
    if n.subject_type == "direct_report":
        event_id = session.scalar(select(DirectReport.event_id).where(DirectReport.id == n.subject_id))
    elif n.subject_type == "plan_run":
        event_id = session.scalar(select(PlanRun.event_id).where(PlanRun.id == n.subject_id))
    elif n.subject_type == "plan_step":
        event_id = session.scalar(
            select(PlanRun.event_id).join(PlanStep, PlanStep.run_id == PlanRun.id).where(PlanStep.id == n.subject_id)
        )
    return f"/events/{event_id}" if event_id else "/notifications"


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    show: Annotated[str, Query(pattern="^(unread|read|all)$")] = "all",
    kind: Annotated[str, Query(max_length=24)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    unread = {"unread": True, "read": False}.get(show)
    stmt = notify.inbox(actor, unread=unread, kind=kind if kind in NOTIFICATION_KIND else None)
    rows, more = page_of(session, stmt, page, 30)
    read = notify.read_ids(session, actor, [n.id for n in rows])
    items = [(n, n.id in read) for n in rows]
    return render(
        request,
        "notifications.html",
        actor=actor,
        items=items,
        show=show,
        kind=kind,
        page=page,
        more=more,
        kinds=NOTIFICATION_KIND,
    )


@router.post("/notifications/{notification_id}/read")
def notification_read(
    notification_id: int,
    form: PageForm,
    go: Annotated[str, Form(max_length=4)] = "",
    next: Annotated[str, Form(max_length=300)] = "/notifications",
) -> RedirectResponse:
    """Mark read for this user; with `go`, go on to the page where the matter is worked on."""
    n = notify.access_notification(form.session, form.actor, notification_id)
    notify.mark_read(form.session, form.actor, [n])
    target = subject_url(form.session, n) if go else local_url(next, "/notifications")
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/read-all")
def notifications_read_all(
    form: PageForm, next: Annotated[str, Form(max_length=300)] = "/notifications"
) -> RedirectResponse:
    notify.mark_all_read(form.session, form.actor)
    return RedirectResponse(local_url(next, "/notifications"), status_code=303)
