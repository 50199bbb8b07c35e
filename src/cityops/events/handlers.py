"""What each workflow action does to an event beyond the state change `service.act` makes: the handler per
action (dispatch, return, escalate, extensions, suspension, close, rating, reopening, merging …), each
returning the data its timeline row records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import outbox
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Invalid
from cityops.events import metrics
from cityops.events.calendar import load_calendar, parse_duration
from cityops.events.models import RATING_NAMES, TERMINAL, Event, EventLog, Status
from cityops.events.recategorize import recategorize
from cityops.events.service import (
    ActionInput,
    access_event,
    assign,
    clear_overdue,
    log_action,
    move_to_centre,
    start_stage,
)
from cityops.org import service as org
from cityops.org.models import OrgUnit

RATINGS = {code: names[0] for code, names in RATING_NAMES.items()}
REOPEN_WINDOW = timedelta(days=7)  # a citizen may reopen a closed matter this long after it closed
RETURNS_BEFORE_ESCALATION = 3  # an event returned this many times goes to the centre above

RESTART_CLOCK = frozenset({"reassign", "escalate"})


def plain(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    return {}


def _dispatch(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    name = assign(session, actor, event, body)
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
        move_to_centre(event, centre)
    return data


def _escalate(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    upper = org.centre_unit_above(session, event.dispatcher_unit_id or event.owner_unit_id)
    if upper is None:
        raise Conflict("市级中心没有上一级 / the city centre has no level above it", code="event.no_level_above")
    return {"escalated_to": _escalate_to(session, event, upper, "manual")}


def _escalate_to(session: Session, event: Event, upper: OrgUnit, reason: str) -> str:
    """The upper centre takes over dispatching; it is told through the outbox."""
    move_to_centre(event, upper)
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
    start_stage(session, event, now)
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
    _announce_closed(session, event)
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
        _announce_closed(session, dup, master_ref=master.ref)


def _announce_closed(session: Session, event: Event, **extra: object) -> None:
    """`event.closed`: the reporter is told, of their own event and of one merged into a master that closed
    (`master_ref`)."""
    outbox.add(
        session,
        "event.closed",
        event_id=event.id,
        ref=event.ref,
        phone=event.reporter_phone,
        unit_path=event.unit_path,
        drill=event.is_drill,
        **extra,
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
        move_to_centre(event, centre)
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
    log_action(
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


HANDLERS = {
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
    "recategorize": recategorize,
}
