"""The closed loop on one event: access (scoped), listing, and every workflow action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.core.hooks import HOOKS_KEY
from cityops.core.search import text_or_ref
from cityops.core.todo import TodoItem
from cityops.events import catalogue, metrics
from cityops.events.calendar import load_calendar
from cityops.events.catalogue import stage_deadline
from cityops.events.flow import EVENT_FLOW, NEEDS_REASON, PERMISSIONS, STAGE_OF, action_name, permitted
from cityops.events.models import TERMINAL, Category, Event, EventLog
from cityops.events.timeline import row as timeline_row
from cityops.org import service as org
from cityops.org.models import CENTRE_LEVELS, Department, OrgUnit


class EventNotFound(NotFound):
    message = "事件不存在 / Event not found."
    default_code = "event.not_found"


class StaleVersion(Conflict):
    message = "事件已被他人更新，请刷新后重试 / The event changed since you loaded it; reload and retry."
    default_code = "event.stale_version"


# -- access and listing ----------------------------------------------------------------------------------
def visible(actor: Actor) -> Any:
    """Who sees an event: its location or its dispatching centre lies in the actor's subtree, or it is
    assigned to the actor's department, or the actor reported it."""
    from cityops.org.service import in_subtree

    clauses = [in_subtree(Event.unit_path, actor.unit_path), in_subtree(Event.owner_path, actor.unit_path)]
    if actor.department_id is not None:
        clauses.append(Event.owner_department_id == actor.department_id)
    if actor.user_id is not None and actor.has(Role.citizen):
        clauses.append(Event.reporter_user_id == actor.user_id)
    return or_(*clauses)


def access_event(session: Session, actor: Actor, event_id: int) -> Event:
    """The event if the actor may see it; 404 for absent and for not yours alike."""
    event = session.scalars(select(Event).where(Event.id == event_id, visible(actor))).one_or_none()
    if event is None:
        raise EventNotFound(event_id=event_id)
    return event


@dataclass
class EventFilter:
    status: list[str] | None = None
    category: str | None = None
    family: str | None = None
    unit_id: int | None = None
    department_id: int | None = None
    overdue: bool | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    needs_review: bool | None = None
    open_only: bool = False


def sees_every_event(session: Session, actor: Actor) -> bool:
    """A user of the city itself (the tree's only top) sees every event, as `visible` would say row by row.
    A list then leaves the subtree test out, so the database reads the newest events in time order and
    stops at the page instead of sorting every event the test matched (SQLite without statistics always
    took the two path indexes: a city page over 24,000 events went from 10.5 ms to 0.4 ms). The tops are
    read in the list's own transaction, not from a per-process cache that another process's change would
    reach only seconds later."""
    if not actor.unit_path or actor.unit_path.count("/") != 2:
        return False
    tops = session.scalars(
        select(OrgUnit.path).where(OrgUnit.parent_id.is_(None), OrgUnit.valid_to.is_(None)).limit(2)
    ).all()
    return list(tops) == [actor.unit_path]


def list_events(session: Session, actor: Actor, f: EventFilter) -> AnySelect:
    stmt = select(Event)
    if not sees_every_event(session, actor):
        stmt = stmt.where(visible(actor))
    if f.status:
        stmt = stmt.where(Event.status.in_(f.status))
    if f.open_only:
        stmt = stmt.where(Event.status.not_in([s.value for s in TERMINAL]))
    if f.category or f.family:
        cats = select(Category.id)
        cats = cats.where(Category.code == f.category) if f.category else cats.where(Category.family == f.family)
        stmt = stmt.where(Event.category_id.in_(cats))
    if f.unit_id is not None:
        unit = org.access_unit(session, actor, f.unit_id)
        stmt = stmt.where(org.in_subtree(Event.unit_path, unit.path))
    if f.department_id is not None:
        stmt = stmt.where(Event.owner_department_id == f.department_id)
    if f.overdue is not None:
        stmt = stmt.where(Event.overdue.is_(f.overdue))
    if f.source:
        stmt = stmt.where(Event.source == f.source)
    if f.since:
        stmt = stmt.where(Event.received_at >= f.since)
    if f.until:
        stmt = stmt.where(Event.received_at < f.until)
    if f.needs_review is not None:
        stmt = stmt.where(Event.needs_review.is_(f.needs_review))
    if f.q:
        stmt = stmt.where(text_or_ref(f.q, (Event.title, Event.description, Event.address), Event.ref))
    return stmt.order_by(Event.received_at.desc(), Event.id.desc())


def timeline(session: Session, event: Event, *, public: bool = False) -> list[EventLog]:
    stmt = select(EventLog).where(EventLog.event_id == event.id)
    if public:
        stmt = stmt.where(EventLog.public.is_(True))
    return list(session.scalars(stmt.order_by(EventLog.at, EventLog.id)))


def allowed_actions(event: Event, actor: Actor, session: Session) -> list[str]:
    """What this actor may do to this event now (drives the buttons in the cockpit)."""
    relation = _relation(session, event)
    return [a for a in EVENT_FLOW.allowed(event.status) if permitted(actor, a, **relation)]


def _relation(session: Session, event: Event) -> dict[str, Any]:
    """What the permission rules need to know about an event's place in the org."""
    return {
        "dispatcher_path": _path_of(session, event.dispatcher_unit_id or event.owner_unit_id),
        "owner_unit_id": event.owner_unit_id,
        "owner_department_id": event.owner_department_id,
        "reporter_user_id": event.reporter_user_id,
        "event_id": event.id,
    }


def _path_of(session: Session, unit_id: int) -> str:
    unit = session.get(OrgUnit, unit_id)
    return unit.path if unit else ""


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ("*" * len(phone))


# -- actions ------------------------------------------------------------------------------------------------
@dataclass
class ActionInput:
    note: str = ""
    version: int | None = None
    department_id: int | None = None  # dispatch / reassign to a department
    unit_id: int | None = None  # dispatch / reassign to a centre's unit
    duration: str | None = None  # request_extension, e.g. "2wd"
    rating: str | None = None  # rate
    master_id: int | None = None  # merge into this event
    category: str | None = None  # recategorize to this category code
    data: dict[str, Any] | None = None  # facts recorded with the action (e.g. the AI model version and score)


def log_action(
    session: Session,
    event: Event,
    actor: Actor,
    action: str,
    before: str | None,
    note: str,
    *,
    data: dict[str, Any] | None = None,
    public: bool = True,
    at: datetime | None = None,
) -> None:
    unit_name = ""
    if actor.unit_id is not None:
        unit = session.get(OrgUnit, actor.unit_id)
        unit_name = unit.name if unit else ""
    row = timeline_row(
        event.id,
        at or clock.now(),
        action,
        note,
        data=data,
        actor_id=actor.user_id,
        actor_name=actor.username,
        actor_unit=unit_name,
        from_status=before,
        to_status=event.status,
        public=public,
    )
    session.add(EventLog(**row))


def clear_overdue(session: Session, event: Event) -> None:
    """Whoever clears the overdue flag takes the event off the overdue gauge: exactly once, however many
    steps of one action touch it (a terminal action both closes and ends the stage)."""
    if event.overdue:
        metrics.gauge(session, event.unit_path, overdue=-1)
        event.overdue = False


def start_stage(session: Session, event: Event, now: datetime) -> None:
    """Start the deadline clock of the event's current status (a fresh stage fires its deadlines once)."""
    stage = STAGE_OF.get(event.status)
    clear_overdue(session, event)
    cat = catalogue.view(session).by_id.get(event.category_id)
    due, warn = (None, None) if cat is None else stage_deadline(cat, event.severity, stage, now, load_calendar(session))
    event.stage = stage or "none"
    event.stage_seq += 1
    event.stage_started_at = now
    event.due_at, event.warn_at = due, warn
    event.warned = False
    event.overdue = False


def assign(session: Session, actor: Actor, event: Event, body: ActionInput) -> str:
    """Set the handler from the body (department or unit), or keep the routed one. Returns its name."""
    if body.department_id is not None:
        dept = org.access_department(session, actor, body.department_id)
        event.owner_department_id, event.owner_unit_id = dept.id, dept.unit_id
        event.owner_path = dept.unit_path
        return dept.name
    if body.unit_id is not None:
        unit = org.access_unit(session, actor, body.unit_id)
        if unit.level not in CENTRE_LEVELS:
            raise Invalid(
                "只能派给市、区县或镇街中心 / dispatch to a city, district or street centre",
                field="unit_id",
                code="event.invalid_unit_id",
            )
        event.owner_department_id, event.owner_unit_id, event.owner_path = None, unit.id, unit.path
        return f"{unit.name}治理中心"
    if event.owner_department_id is not None:
        owner_dept = session.get(Department, event.owner_department_id)
        return owner_dept.name if owner_dept else ""
    owner_unit = session.get(OrgUnit, event.owner_unit_id)
    return f"{owner_unit.name}治理中心" if owner_unit else ""


def move_to_centre(event: Event, centre: OrgUnit) -> None:
    event.dispatcher_unit_id = centre.id
    event.owner_unit_id, event.owner_path, event.owner_department_id = centre.id, centre.path, None


def act(session: Session, actor: Actor, event: Event, action: str, body: ActionInput) -> Event:
    """Apply one workflow action: permission, version and reason checks, state change, timeline,
    deadlines, counters, audit and outbox, all in the caller's transaction."""
    if action not in PERMISSIONS:
        raise NotFound(
            f"未知操作 / unknown action {action!r}",
            action=action,
            allowed=EVENT_FLOW.actions(),
            code="event.unknown_action",
        )
    if body.version is not None and body.version != event.version:
        raise StaleVersion(current_version=event.version, your_version=body.version)
    relation = _relation(session, event)
    if not permitted(actor, action, **relation):
        raise Forbidden(
            f"您无权对此事件执行「{action_name(action)}」/ you may not {action} this event "
            f"({PERMISSIONS[action].note})",
            action=action,
            allowed=allowed_actions(event, actor, session),
            code="event.action_not_allowed",
        )
    hooks = session.info.get(HOOKS_KEY)
    for guard in hooks.guards_for(action) if hooks is not None else ():
        guard(session, actor, event, body)  # a domain's own condition on this action (e.g. wage cases)
    note = body.note.strip()
    if action in NEEDS_REASON and not note:
        raise Invalid(
            f"「{action_name(action)}」须填写理由 / a reason (note) is required to {action}",
            field="note",
            code="event.invalid_note",
        )
    # One flush at the end: the version column then advances by exactly one per action.
    with session.no_autoflush:
        before = event.status
        target = EVENT_FLOW.next_state(event.status, action)
        now = clock.now()
        from cityops.events.handlers import HANDLERS, RESTART_CLOCK, plain  # they build on this module's helpers

        data = {**(body.data or {}), **HANDLERS.get(action, plain)(session, actor, event, body, now)}
        if action != "resume":  # resume restores the state before suspension and its remaining time itself
            event.status = target
            if event.status != before or action in RESTART_CLOCK:
                start_stage(session, event, now)
        log_action(session, event, actor, action, before, note, data=data)
        audit.record(session, actor, f"event.{action}", event, before=before, after=event.status, note=note, **data)
        outbox.add(
            session,
            "event.changed",
            event_id=event.id,
            ref=event.ref,
            action=action,
            status=event.status,
            unit_path=event.unit_path,
            drill=event.is_drill,
        )
    session.flush()
    return event


def note(
    session: Session,
    actor: Actor,
    event_id: int,
    action: str,
    text: str,
    *,
    data: dict[str, Any] | None = None,
    public: bool = False,
) -> None:
    """Add a timeline entry without changing state (e.g. an alarm's history on the event it opened)."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound(event_id=event_id)
    log_action(session, event, actor, action, event.status, text, data=data, public=public)
    outbox.add(session, "event.noted", event_id=event.id, ref=event.ref, action=action, unit_path=event.unit_path)


def alarm_signals(session: Session, event_id: int) -> list[tuple[str, str]]:
    """(device type, alarm severity) of every alarm noted on the event's timeline by sensing, so other
    domains (plans) learn what raised an event without reading sensing's tables."""
    rows = session.scalars(select(EventLog.data).where(EventLog.event_id == event_id, EventLog.action == "alarm"))
    return [(d["device_type"], d["severity"]) for d in rows if isinstance(d, dict) and "device_type" in d]


def open_among(session: Session, event_ids: list[int]) -> set[int]:
    """Which of these events are still open."""
    if not event_ids:
        return set()
    stmt = select(Event.id).where(Event.id.in_(event_ids), Event.status.not_in([s.value for s in TERMINAL]))
    return set(session.scalars(stmt))


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """待办: the events waiting on this actor (see events/todo.py for who sees what)."""
    from cityops.events.todo import todo_items as waiting

    return waiting(session, actor, now)
