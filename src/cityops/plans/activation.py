"""Plan activation: automatic from events and alarms (once per plan and event), by hand, or as a drill;
the run and the steps it creates for the centres (and departments) of the place, each told at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid
from cityops.events import service as events
from cityops.events.calendar import WorkCalendar, load_calendar, parse_duration
from cityops.events.catalogue import view as catalogue
from cityops.events.models import Event
from cityops.org import service as org
from cityops.org.models import Department, OrgUnit
from cityops.plans import service as plans
from cityops.plans import spec as specs
from cityops.plans.models import PlanRun, PlanStep
from cityops.plans.notify import notify
from cityops.plans.spec import SEVERITY_RANK

RUNNERS = (Role.dispatcher, Role.leader)
SEVERITY_OF_ALARM = {"critical": "urgent", "major": "high", "minor": "normal", "warning": "normal"}


@dataclass(frozen=True)
class Occurrence:
    """What a plan trigger looks at."""

    category: str
    severity: str
    device_types: frozenset[str] = frozenset()


def matching(session: Session, occurrence: Occurrence, unit_path: str) -> list[plans.Resolved]:
    found = []
    for key in plans.keys(session):
        resolved = plans.resolve(session, key, unit_path)
        if resolved is None or not resolved.plan.enabled:
            continue
        trigger = resolved.plan.trigger
        if SEVERITY_RANK[occurrence.severity] < SEVERITY_RANK[trigger.min_severity]:
            continue
        if occurrence.category in trigger.categories or occurrence.device_types & set(trigger.device_types):
            found.append(resolved)
    return found


def occurrence_of(session: Session, event: Event) -> Occurrence:
    """The event's category and severity; for sensor events also its alarms' device types, and the
    highest alarm severity (an alarm that escalated after the event opened counts)."""
    view = catalogue(session).by_id.get(event.category_id)  # a category retired since keeps no trigger
    category = view.code if view is not None else ""
    severity, types = event.severity, set()
    for type_code, alarm_severity in events.alarm_signals(session, event.id):
        types.add(type_code)
        mapped = SEVERITY_OF_ALARM.get(alarm_severity, "normal")
        if SEVERITY_RANK[mapped] > SEVERITY_RANK[severity]:
            severity = mapped
    return Occurrence(category, severity, frozenset(types))


def activate_for_event(session: Session, actor: Actor, event: Event, *, trigger: str = "auto") -> list[PlanRun]:
    """Start every matching plan not yet started for this event (at most one run per plan and event)."""
    if event.status in ("closed", "merged", "voided"):
        return []
    started = set(session.scalars(select(PlanRun.plan_key).where(PlanRun.event_id == event.id)))
    runs = []
    for resolved in matching(session, occurrence_of(session, event), event.unit_path):
        if resolved.plan.key in started:
            continue
        reason = f"事件 {event.ref} 符合预案触发条件 / event matches the trigger"
        runs.append(
            _start(
                session,
                actor,
                resolved,
                event=event,
                unit_id=event.unit_id,
                unit_path=event.unit_path,
                trigger=trigger,
                drill=event.is_drill,
                reason=reason,
            )
        )
    return runs


def activate(
    session: Session, actor: Actor, key: str, *, event_id: int | None, unit_id: int | None, drill: bool, reason: str
) -> PlanRun:
    """A dispatcher starts a plan by hand for an event, or for a unit (e.g. a drill without an event)."""
    if not actor.has(*RUNNERS):
        raise Forbidden(
            "无权启动预案 / Only dispatchers and leaders start plans.",
            needs=[r.value for r in RUNNERS],
            code="plan.role_required",
        )
    event = None
    if event_id is not None:
        event = events.access_event(session, actor, event_id)
        unit_id, path = event.unit_id, event.unit_path
        if event.is_drill:
            drill = True
        elif drill:
            raise Invalid(
                "演练只能针对演练事件或单位 / A drill runs for a unit or a drill event",
                field="drill",
                code="plan.invalid_drill",
            )
        if session.scalar(select(PlanRun.id).where(PlanRun.plan_key == key, PlanRun.event_id == event_id)):
            raise Conflict(
                "该事件已启动此预案 / This plan already runs for this event",
                field="plan_key",
                code="plan.already_running",
            )
    elif unit_id is not None:
        path = org.access_unit(session, actor, unit_id).path
    else:
        raise Invalid(
            "须指定事件或单位 / Give an event_id or a unit_id", field="event_id", code="plan.invalid_event_id"
        )
    resolved = plans.resolve(session, key, path)
    if resolved is None:
        raise plans.PlanNotFound(key=key)
    return _start(
        session,
        actor,
        resolved,
        event=event,
        unit_id=unit_id,
        unit_path=path,
        trigger="manual",
        drill=drill,
        reason=reason,
    )


def _start(
    session: Session,
    actor: Actor,
    resolved: plans.Resolved,
    *,
    event: Event | None,
    unit_id: int,
    unit_path: str,
    trigger: str,
    drill: bool,
    reason: str,
) -> PlanRun:
    now = clock.now()
    top = resolved.most_specific
    levels = [{"plan_id": c.id, "level": c.level, "unit_id": c.unit_id, "version": c.version} for c in resolved.levels]
    run = PlanRun(
        plan_key=resolved.plan.key,
        plan_id=top.id,
        plan_version=top.version,
        levels=levels,
        name=resolved.plan.name,
        event_id=event.id if event else None,
        unit_id=unit_id,
        unit_path=unit_path,
        trigger=trigger,
        reason=reason[:300],
        is_drill=drill,
        status="open",
        started_at=now,
        started_by=actor.username,
    )
    session.add(run)
    session.flush()
    by_level = org.centre_units_on(session, unit_path)
    deadlines = _StepDeadlines(session, now)
    for seq, step in enumerate(resolved.plan.steps, start=1):
        _add_step(session, run, seq, step, by_level, deadlines, event)
    _announce(session, actor, run, resolved, event)
    return run


class _StepDeadlines:
    """Natural time by default; the configured holidays are loaded only when a step counts working days."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.calendar, self.loaded = WorkCalendar(), False

    def due(self, deadline: str | None) -> datetime | None:
        if not deadline:
            return None
        duration = parse_duration(deadline)
        if duration.working_days and not self.loaded:
            self.calendar, self.loaded = load_calendar(self.session), True
        return self.calendar.add(self.now, duration)


def _add_step(
    session: Session,
    run: PlanRun,
    seq: int,
    step: specs.Step,
    by_level: dict[str, OrgUnit],
    deadlines: _StepDeadlines,
    event: Event | None,
) -> None:
    """One step of the plan for the centre of its level (or one of its departments), told at once."""
    unit = by_level.get(step.level) or _deepest(by_level)
    department_id, note = None, ""
    if step.department:
        department_id = session.scalar(
            select(Department.id).where(Department.unit_id == unit.id, Department.code == step.department)
        )
        if department_id is None:
            note = f"{unit.name}无部门 {step.department}，由其中心承办 / no such department: the centre handles it"
    row = PlanStep(
        run_id=run.id,
        seq=seq,
        key=step.key,
        kind=step.kind,
        title=step.title,
        mandatory=step.mandatory,
        level=unit.level,
        unit_id=unit.id,
        unit_path=unit.path,
        department_id=department_id,
        roles=list(step.roles),
        instructions=step.instructions,
        checklist=[{"item": c, "done": False} for c in step.checklist],
        resources=list(step.resources),
        status="pending",
        due_at=deadlines.due(step.deadline),
        note=note,
    )
    session.add(row)
    session.flush()
    body = f"{run.name}：{step.title}" + (f"（时限 {step.deadline}）" if step.deadline else "")
    if event is not None:
        body += f"；事件 {event.ref} {event.title}"
    notify(
        session,
        unit_id=unit.id,
        roles=list(step.roles) or ["dispatcher", "handler"],
        kind="plan_" + step.kind,
        title=f"预案启动：{run.name}",
        body=body,
        subject=("plan_step", row.id),
        drill=run.is_drill,
        sms=step.kind == "notify",
        department_id=department_id,
    )
    if step.kind == "notify":  # telling is the whole step
        row.status, row.done_at, row.done_by = "done", deadlines.now, "system"


def _announce(session: Session, actor: Actor, run: PlanRun, resolved: plans.Resolved, event: Event | None) -> None:
    top = resolved.most_specific
    audit.record(
        session,
        actor,
        "plan.activated",
        run,
        key=run.plan_key,
        plan_id=top.id,
        version=top.version,
        event_id=run.event_id,
        trigger=run.trigger,
        drill=run.is_drill,
    )
    if event is not None:
        from cityops.plans.direct import LEVEL_NAMES

        level_names = " → ".join(f"{LEVEL_NAMES.get(c.level, c.level)}配置" for c in resolved.levels)
        drill = "，演练" if run.is_drill else ""
        events.note(
            session,
            actor,
            event.id,
            "plan",
            f"启动预案「{run.name}」（{level_names}，v{top.version}{drill}）/ plan activated",
            data={"run_id": run.id, "plan_id": top.id},
        )


def _deepest(by_level: dict[str, OrgUnit]) -> OrgUnit:
    for level in ("street", "district", "city"):
        if level in by_level:
            return by_level[level]
    raise Conflict("无法定位责任单位 / No responsible unit", code="plan.no_responsible_unit")


# -- reading ------------------------------------------------------------------------------------------
