"""待办 from the closed loop: what waits on this user's department, centre or (for leaders) subtree.

A department handler: events assigned to the department, to sign for and handle. A centre's duty officer:
events whose dispatching centre is the officer's own unit, to accept, dispatch, verify, close, approve an
extension or review after an unsatisfied rating (and work the centre handles itself). A leader: open
events of the subtree that are 督办 or overdue. Every query is also filtered by `visible(actor)`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.pii import mask_text
from cityops.core.todo import TodoItem
from cityops.events import catalogue
from cityops.events.models import OPEN_STATUSES, Event, Severity, Status
from cityops.org import service as org
from cityops.org.models import OrgUnit

LIMIT = 300  # per query: a 待办 list longer than this is a staffing problem, not a list to scroll

# kind -> (label Chinese / English); the workspace shows the Chinese or English half.
KINDS: dict[str, str] = {
    "event.accept": "待受理 / To accept",
    "event.dispatch": "待派遣 / To dispatch",
    "event.sign": "待签收 / To sign for",
    "event.handle": "待处置 / To handle",
    "event.verify": "待核查 / To verify",
    "event.close": "待办结 / To close",
    "event.extension": "待批延期 / Extension to decide",
    "event.review": "不满意待复核 / Unsatisfied: review",
    "event.supervised": "督办件 / Supervised",
    "event.overdue": "超期件 / Overdue",
}
_ASSIGNEE_KIND = {Status.dispatched: "event.sign", Status.signed: "event.handle", Status.in_progress: "event.handle"}
_CENTRE_KIND = {
    Status.reported: "event.accept",
    Status.accepted: "event.dispatch",
    Status.reported_back: "event.verify",
    Status.verified: "event.close",
}


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    if actor.has(Role.citizen) and not actor.has(Role.handler, Role.dispatcher, Role.leader):
        return []
    found: list[tuple[str, Event]] = []
    if actor.has(Role.handler, Role.dispatcher):
        found += [(_ASSIGNEE_KIND[Status(e.status)], e) for e in _rows(session, actor, _assigned_to(actor))]
    if actor.has(Role.dispatcher, Role.leader) and actor.department_id is None and actor.unit_id is not None:
        found += _centre_items(session, actor)
    if actor.has(Role.leader):
        watched = and_(
            org.in_subtree(Event.unit_path, actor.unit_path),
            or_(Event.supervised_by_unit_id.is_not(None), Event.overdue.is_(True)),
        )
        for e in _rows(session, actor, watched):
            found.append(("event.supervised" if e.supervised_by_unit_id else "event.overdue", e))
    return _as_items(session, found)


def _assigned_to(actor: Actor) -> Any:
    working = Event.status.in_(list(_ASSIGNEE_KIND))
    if actor.department_id is not None:
        return and_(working, Event.owner_department_id == actor.department_id)
    if actor.unit_id is None:
        return None
    return and_(working, Event.owner_unit_id == actor.unit_id, Event.owner_department_id.is_(None))


def _dispatching_centre_is(unit_id: int) -> Any:
    return or_(
        Event.dispatcher_unit_id == unit_id,
        and_(Event.dispatcher_unit_id.is_(None), Event.owner_unit_id == unit_id),
    )


def _centre_items(session: Session, actor: Actor) -> list[tuple[str, Event]]:
    assert actor.unit_id is not None
    mine = _dispatching_centre_is(actor.unit_id)
    out: list[tuple[str, Event]] = []
    if actor.has(Role.dispatcher):
        stage = and_(mine, Event.status.in_(list(_CENTRE_KIND)))
        out += [(_CENTRE_KIND[Status(e.status)], e) for e in _rows(session, actor, stage)]
        review = and_(mine, Event.needs_review.is_(True), Event.status == Status.closed)
        out += [("event.review", e) for e in _rows(session, actor, review, open_only=False)]
    extension = and_(mine, Event.extension_requested.is_not(None))
    out += [("event.extension", e) for e in _rows(session, actor, extension)]
    return out


def _rows(session: Session, actor: Actor, where: Any, *, open_only: bool = True) -> list[Event]:
    if where is None:
        return []
    stmt = select(Event).where(where, _visible(actor), Event.merged_into_id.is_(None))
    if open_only:
        stmt = stmt.where(Event.status.in_(OPEN_STATUSES))
    return list(session.scalars(stmt.order_by(Event.due_at, Event.id).limit(LIMIT)))


def _visible(actor: Actor) -> Any:
    from cityops.events.service import visible

    return visible(actor)


def _as_items(session: Session, found: list[tuple[str, Event]]) -> list[TodoItem]:
    cats = catalogue.view(session).by_id
    unit_ids = {e.unit_id for _, e in found}
    names = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))).all())
    seen: set[int] = set()
    items = []
    for kind, e in found:
        if e.id in seen:  # one row per event: the first (most actionable) reason wins
            continue
        seen.add(e.id)
        cat = cats.get(e.category_id)
        items.append(
            TodoItem(
                kind=kind,
                kind_label=KINDS[kind],
                title=(f"{cat.name}：" if cat else "") + mask_text(e.title),
                url=f"/events/{e.id}",
                unit_name=names.get(e.unit_id, ""),
                due_at=e.due_at,
                urgent=e.severity == Severity.urgent or e.supervised_by_unit_id is not None,
                ref=e.ref,
            )
        )
    return items
