"""The closed loop on one event: access (scoped), listing, and every workflow action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.core.hooks import HOOKS_KEY
from cityops.core.todo import TodoItem
from cityops.events import catalogue, metrics
from cityops.events.calendar import load_calendar, parse_duration
from cityops.events.catalogue import stage_deadline
from cityops.events.flow import EVENT_FLOW, NEEDS_REASON, PERMISSIONS, STAGE_OF, action_name, permitted
from cityops.events.models import RATING_NAMES, TERMINAL, Category, Event, EventLog, Status
from cityops.events.timeline import row as timeline_row
from cityops.org import service as org
from cityops.org.models import CENTRE_LEVELS, Department, OrgUnit

RATINGS = {code: names[0] for code, names in RATING_NAMES.items()}
REOPEN_WINDOW = timedelta(days=7)
RETURNS_BEFORE_ESCALATION = 3


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


def list_events(session: Session, actor: Actor, f: EventFilter) -> AnySelect:
    stmt = select(Event).where(visible(actor))
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
        like = f.q.strip()
        stmt = stmt.where(
            or_(
                Event.title.contains(like, autoescape=True),
                Event.description.contains(like, autoescape=True),
                Event.address.contains(like, autoescape=True),
                Event.ref == like,
            )
        )
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


def _log(
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


def _start_stage(session: Session, event: Event, now: datetime) -> None:
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


def _assign(session: Session, actor: Actor, event: Event, body: ActionInput) -> str:
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


def _move_to_centre(event: Event, centre: OrgUnit) -> None:
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
        handler = _HANDLERS.get(action, _plain)
        data = handler(session, actor, event, body, now)
        if action != "resume":  # resume restores the state before suspension and its remaining time itself
            event.status = target
            if event.status != before or action in _RESTART_CLOCK:
                _start_stage(session, event, now)
        _log(session, event, actor, action, before, note, data=data)
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


_RESTART_CLOCK = frozenset({"reassign", "escalate"})


def _plain(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    return {}


def _dispatch(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    name = _assign(session, actor, event, body)
    metrics.count_department(session, event.owner_department_id, now, assigned=1)
    return {"assignee": name, "department_id": event.owner_department_id, "unit_id": event.owner_unit_id}


def _reassign(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if body.department_id is None and body.unit_id is None:
        raise Invalid(
            "改派须指定部门或单位 / reassign needs department_id or unit_id",
            field="department_id",
            code="event.invalid_department_id",
        )
    return _dispatch(session, actor, event, body, now)


def _return(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    event.return_count += 1
    metrics.count(session, event.unit_path, now, event.category_id, returned=1)
    metrics.count_department(session, event.owner_department_id, now, returned=1)
    centre = session.get(OrgUnit, event.dispatcher_unit_id or event.owner_unit_id)
    data: dict[str, Any] = {"return_count": event.return_count}
    if event.return_count >= RETURNS_BEFORE_ESCALATION:
        upper = org.centre_unit_above(session, centre.id) if centre else None
        if upper is not None:
            data["escalated_to"] = _escalate_to(session, event, upper, "repeated_returns")
            return data
    if centre is not None:
        _move_to_centre(event, centre)
    return data


def _escalate(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    upper = org.centre_unit_above(session, event.dispatcher_unit_id or event.owner_unit_id)
    if upper is None:
        raise Conflict("市级中心没有上一级 / the city centre has no level above it", code="event.no_level_above")
    return {"escalated_to": _escalate_to(session, event, upper, "manual")}


def _escalate_to(session: Session, event: Event, upper: OrgUnit, reason: str) -> str:
    """The upper centre takes over dispatching; it is told through the outbox."""
    _move_to_centre(event, upper)
    event.escalation_level += 1
    outbox.add(
        session,
        "event.escalated",
        event_id=event.id,
        ref=event.ref,
        to_unit_id=upper.id,
        reason=reason,
        unit_path=event.unit_path,
    )
    return upper.name


def _request_extension(
    session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime
) -> dict[str, Any]:
    if event.extension_requested:
        raise Conflict("已有待审批的延期申请 / an extension request is already pending", code="event.extension_pending")
    duration = parse_duration(body.duration or "", field_name="duration")
    event.extension_requested = str(duration)
    outbox.add(
        session,
        "event.extension_requested",
        event_id=event.id,
        ref=event.ref,
        duration=str(duration),
        unit_path=event.unit_path,
    )
    return {"duration": str(duration)}


def _approve_extension(
    session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime
) -> dict[str, Any]:
    if not event.extension_requested:
        raise Conflict("没有待审批的延期申请 / no extension request is pending", code="event.no_extension_pending")
    duration = parse_duration(event.extension_requested)
    base = max(event.due_at or now, now)
    event.due_at = load_calendar(session).add(base, duration)
    event.warn_at = now + (event.due_at - now) * 0.8
    clear_overdue(session, event)
    event.warned = False
    granted, event.extension_requested = str(duration), None
    return {"granted": granted, "new_due_at": event.due_at.isoformat()}


def _deny_extension(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if not event.extension_requested:
        raise Conflict("没有待审批的延期申请 / no extension request is pending", code="event.no_extension_pending")
    denied, event.extension_requested = event.extension_requested, None
    return {"denied": denied}


def _suspend(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    event.status_before_suspend = event.status
    event.suspended_at = now
    return {"remaining_seconds": (event.due_at - now).total_seconds() if event.due_at else None}


def _resume(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    event.status = event.status_before_suspend or Status.accepted
    paused = now - (event.suspended_at or now)
    # The clock stopped while suspended: the stage keeps its remaining time.
    due, warn = event.due_at, event.warn_at
    _start_stage(session, event, now)
    if due is not None:
        event.due_at, event.warn_at = due + paused, (warn + paused) if warn else None
    event.status_before_suspend, event.suspended_at = None, None
    return {"paused_seconds": paused.total_seconds()}


def _close(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    event.closed_at = now
    on_time = not event.ever_overdue
    seconds = (now - event.received_at).total_seconds()
    metrics.count(
        session,
        event.unit_path,
        now,
        event.category_id,
        closed=1,
        closed_on_time=int(on_time),
        handling_seconds=seconds,
    )
    metrics.count_department(session, event.owner_department_id, now, closed=1, closed_on_time=int(on_time))
    metrics.gauge(session, event.unit_path, open=-1)
    clear_overdue(session, event)
    _notify_merged(session, event, now)
    outbox.add(
        session,
        "event.closed",
        event_id=event.id,
        ref=event.ref,
        phone=event.reporter_phone,
        unit_path=event.unit_path,
        drill=event.is_drill,
    )
    return {"on_time": on_time, "handling_hours": round(seconds / 3600, 2)}


def _notify_merged(session: Session, master: Event, now: datetime) -> None:
    """Every reporter of an event merged into this one is told when it closes."""
    for dup in session.scalars(select(Event).where(Event.merged_into_id == master.id)):
        session.add(
            EventLog(
                event_id=dup.id,
                at=now,
                action="master_closed",
                actor_id=None,
                actor_name="system",
                actor_unit="",
                from_status=dup.status,
                to_status=dup.status,
                note=f"并案主件 {master.ref} 已办结 / the merged master case is closed",
                data={},
                public=True,
            )
        )
        outbox.add(
            session,
            "event.closed",
            event_id=dup.id,
            ref=dup.ref,
            phone=dup.reporter_phone,
            master_ref=master.ref,
            unit_path=dup.unit_path,
            drill=dup.is_drill,
        )


def _rate(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if body.rating not in RATINGS:
        raise Invalid(
            "评价须为 satisfied、basically_satisfied 或 unsatisfied", field="rating", code="event.invalid_rating"
        )
    if event.rating is not None:
        raise Conflict("已评价 / this event was already rated", rating=event.rating, code="event.already_rated")
    event.rating, event.rated_at = body.rating, now
    metrics.count(
        session, event.unit_path, now, event.category_id, rated=1, satisfied=int(body.rating in metrics.SATISFIED)
    )
    if body.rating == "unsatisfied":
        event.needs_review = True  # in front of the centre, which decides on a reopen
        outbox.add(session, "event.unsatisfied", event_id=event.id, ref=event.ref, unit_path=event.unit_path)
    return {"rating": body.rating, "rating_label": RATINGS[body.rating]}


def _verify(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    metrics.count(session, event.unit_path, now, event.category_id, checked=1)
    return {}


def _reject(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    metrics.count(session, event.unit_path, now, event.category_id, checked=1, reworked=1)  # 返工
    return {}


def _reopen(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if actor.has(Role.citizen) and (event.closed_at is None or now - event.closed_at > REOPEN_WINDOW):
        raise Conflict(
            "已超过7天重开期限 / the 7-day reopen window has passed",
            closed_at=str(event.closed_at),
            code="event.reopen_window_passed",
        )
    event.reopen_count += 1
    event.needs_review = False
    event.closed_at, event.rating, event.rated_at = None, None, None
    metrics.gauge(session, event.unit_path, open=1)
    centre = session.get(OrgUnit, event.dispatcher_unit_id or event.owner_unit_id)
    if centre is not None:
        _move_to_centre(event, centre)
    return {"reopen_count": event.reopen_count}


def _merge(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if body.master_id is None:
        raise Invalid("并案须指定主件 / master_id is required", field="master_id", code="event.invalid_master_id")
    master = access_event(session, actor, body.master_id)
    if master.id == event.id or master.status in TERMINAL or master.merged_into_id is not None:
        raise Conflict(
            "主件须为另一件未办结的事件 / the master must be another open event",
            master_id=master.id,
            code="event.bad_merge_master",
        )
    event.merged_into_id = master.id
    metrics.gauge(session, event.unit_path, open=-1)
    clear_overdue(session, event)
    _log(
        session,
        master,
        actor,
        "merged_in",
        master.status,
        f"并入 {event.ref} / {event.ref} merged into this case",
        data={"duplicate_id": event.id},
    )
    return {"master_id": master.id, "master_ref": master.ref}


def _void(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    metrics.gauge(session, event.unit_path, open=-1)
    clear_overdue(session, event)
    return {}


def _supervise(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    event.supervised_by_unit_id = actor.unit_id
    outbox.add(
        session,
        "event.supervised",
        event_id=event.id,
        ref=event.ref,
        by_unit_id=actor.unit_id,
        unit_path=event.unit_path,
    )
    return {"by_unit_id": actor.unit_id}


def _urge(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    outbox.add(session, "event.urged", event_id=event.id, ref=event.ref, unit_path=event.unit_path)
    return {}


_HANDLERS = {
    "dispatch": _dispatch,
    "reassign": _reassign,
    "return": _return,
    "escalate": _escalate,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "deny_extension": _deny_extension,
    "suspend": _suspend,
    "resume": _resume,
    "close": _close,
    "rate": _rate,
    "verify": _verify,
    "reject": _reject,
    "reopen": _reopen,
    "merge": _merge,
    "void": _void,
    "supervise": _supervise,
    "urge": _urge,
}


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
    _log(session, event, actor, action, event.status, text, data=data, public=public)
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
