"""Plan runs: activation (automatic from events and alarms, by hand, or as a drill), the steps they
create, step completion, closing, and the deadline sweep that marks tasks overdue and escalates them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.events import service as events
from cityops.events.calendar import WorkCalendar, load_calendar, parse_duration
from cityops.events.catalogue import view as catalogue
from cityops.events.models import Event
from cityops.org import service as org
from cityops.org.models import Department, OrgUnit
from cityops.plans import service as plans
from cityops.plans.models import PlanRun, PlanStep
from cityops.plans.notify import notify
from cityops.plans.spec import SEVERITY_RANK

RUNNERS = (Role.dispatcher, Role.leader)
STEP_ACTORS = (Role.dispatcher, Role.leader, Role.handler)
SEVERITY_OF_ALARM = {"critical": "urgent", "major": "high", "minor": "normal", "warning": "normal"}


class RunNotFound(NotFound):
    message = "预案启动记录不存在 / Plan run not found."


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
    from cityops.sensing.models import Alarm, Device

    view = catalogue(session).by_id.get(event.category_id)  # a category retired since keeps no trigger
    category = view.code if view is not None else ""
    severity, types = event.severity, set()
    for type_code, alarm_severity in session.execute(
        select(Device.type_code, Alarm.severity)
        .join(Device, Device.id == Alarm.device_id)
        .where(Alarm.event_id == event.id)
    ):
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
        raise Forbidden("无权启动预案 / Only dispatchers and leaders start plans.", needs=[r.value for r in RUNNERS])
    event = None
    if event_id is not None:
        event = events.access_event(session, actor, event_id)
        unit_id, path = event.unit_id, event.unit_path
        if event.is_drill:
            drill = True
        elif drill:
            raise Invalid("演练只能针对演练事件或单位 / A drill runs for a unit or a drill event", field="drill")
        if session.scalar(select(PlanRun.id).where(PlanRun.plan_key == key, PlanRun.event_id == event_id)):
            raise Conflict("该事件已启动此预案 / This plan already runs for this event", field="plan_key")
    elif unit_id is not None:
        path = org.access_unit(session, actor, unit_id).path
    else:
        raise Invalid("须指定事件或单位 / Give an event_id or a unit_id", field="event_id")
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
    run = PlanRun(
        plan_key=resolved.plan.key,
        plan_id=top.id,
        plan_version=top.version,
        levels=[
            {"plan_id": c.id, "level": c.level, "unit_id": c.unit_id, "version": c.version} for c in resolved.levels
        ],
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
    by_level = _levels_of(session, unit_path)
    calendar = WorkCalendar()  # natural time; the configured holidays are loaded only for working-day deadlines
    loaded = False
    for seq, step in enumerate(resolved.plan.steps, start=1):
        unit = by_level.get(step.level) or _deepest(by_level)
        department_id, note = None, ""
        if step.department:
            department_id = session.scalar(
                select(Department.id).where(Department.unit_id == unit.id, Department.code == step.department)
            )
            if department_id is None:
                note = f"{unit.name}无部门 {step.department}，由其中心承办 / no such department: the centre handles it"
        due = None
        if step.deadline:
            duration = parse_duration(step.deadline)
            if duration.working_days and not loaded:
                calendar, loaded = load_calendar(session), True
            due = calendar.add(now, duration)
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
            due_at=due,
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
            drill=drill,
            sms=step.kind == "notify",
            department_id=department_id,
        )
        if step.kind == "notify":
            row.status, row.done_at, row.done_by = "done", now, "system"
    audit.record(
        session,
        actor,
        "plan.activated",
        run,
        key=run.plan_key,
        plan_id=top.id,
        version=top.version,
        event_id=run.event_id,
        trigger=trigger,
        drill=drill,
    )
    if event is not None:
        from cityops.plans.direct import LEVEL_NAMES

        level_names = " → ".join(f"{LEVEL_NAMES.get(c.level, c.level)}配置" for c in resolved.levels)
        events.note(
            session,
            actor,
            event.id,
            "plan",
            f"启动预案「{run.name}」（{level_names}，v{top.version}{'，演练' if drill else ''}）/ plan activated",
            data={"run_id": run.id, "plan_id": top.id},
        )
    return run


def _levels_of(session: Session, path: str) -> dict[str, OrgUnit]:
    probe = OrgUnit(path=path)
    return {u.level: u for u in org.ancestors(session, probe) if u.level in ("city", "district", "street")}


def _deepest(by_level: dict[str, OrgUnit]) -> OrgUnit:
    for level in ("street", "district", "city"):
        if level in by_level:
            return by_level[level]
    raise Conflict("无法定位责任单位 / No responsible unit")


# -- reading ------------------------------------------------------------------------------------------
def run_visible(actor: Actor) -> Any:
    """A run is seen by the units over its place and by anyone holding one of its steps."""
    from sqlalchemy import exists, or_

    step_clauses = [org.in_subtree(PlanStep.unit_path, actor.unit_path)]
    if actor.department_id is not None:
        step_clauses.append(PlanStep.department_id == actor.department_id)
    holds_step = exists().where(PlanStep.run_id == PlanRun.id, or_(*step_clauses))
    return or_(org.in_subtree(PlanRun.unit_path, actor.unit_path), holds_step)


def access_run(session: Session, actor: Actor, run_id: int) -> PlanRun:
    run = session.scalars(select(PlanRun).where(PlanRun.id == run_id, run_visible(actor))).one_or_none()
    if run is None:
        raise RunNotFound(run_id=run_id)
    return run


def steps_of(session: Session, run_id: int) -> list[PlanStep]:
    return list(session.scalars(select(PlanStep).where(PlanStep.run_id == run_id).order_by(PlanStep.seq)))


def my_tasks(actor: Actor) -> Any:
    """Open tasks for the actor's department, or for its own unit's centre."""
    from sqlalchemy import or_

    mine = [PlanStep.unit_id == actor.unit_id]
    if actor.department_id is not None:
        mine = [PlanStep.department_id == actor.department_id]
    return (
        select(PlanStep, PlanRun)
        .join(PlanRun, PlanRun.id == PlanStep.run_id)
        .where(PlanStep.kind == "task", PlanStep.status == "pending", PlanRun.status == "open", or_(*mine))
        .order_by(PlanStep.due_at, PlanStep.id)
    )


# -- acting ---------------------------------------------------------------------------------------------
def may_act(actor: Actor, step: PlanStep) -> bool:
    if not actor.has(*STEP_ACTORS):
        return False
    if step.department_id is not None and actor.department_id == step.department_id:
        return True
    if actor.unit_id == step.unit_id and actor.department_id is None:
        return True
    # The centres above the step's unit may record it too (they command the response).
    return actor.has(Role.dispatcher, Role.leader) and actor.department_id is None and actor.sees_path(step.unit_path)


def finish_step(
    session: Session, actor: Actor, run: PlanRun, step_id: int, *, action: str, note: str, checklist: list[bool] | None
) -> PlanStep:
    step = session.scalars(select(PlanStep).where(PlanStep.id == step_id, PlanStep.run_id == run.id)).one_or_none()
    if step is None:
        raise NotFound("步骤不存在 / Step not found.", step_id=step_id)
    if not may_act(actor, step):
        raise Forbidden("该步骤不由你承办 / This step is not yours to complete.")
    if run.status != "open":
        raise Conflict("预案已结束 / The run is closed.")
    if step.status != "pending":
        raise Conflict(f"步骤已{step.status} / The step is already {step.status}.", status=step.status)
    if action == "skip" and not note.strip():
        raise Invalid("跳过须说明理由 / Skipping needs a reason", field="note")
    if checklist is not None:
        if len(checklist) != len(step.checklist):
            raise Invalid(
                f"清单共 {len(step.checklist)} 项 / The checklist has {len(step.checklist)} items", field="checklist"
            )
        step.checklist = [{"item": c["item"], "done": bool(d)} for c, d in zip(step.checklist, checklist, strict=True)]
    now = clock.now()
    step.status = "done" if action == "done" else "skipped"
    step.done_at, step.done_by, step.note = now, actor.username, note[:400]
    audit.record(session, actor, f"plan.step_{step.status}", step, run_id=run.id, key=step.key, note=note[:200])
    if run.event_id is not None:
        verb = "完成" if action == "done" else "跳过"
        events.note(
            session,
            actor,
            run.event_id,
            "plan",
            f"预案步骤{verb}：{step.title}" + (f"（{note[:80]}）" if note else ""),
            data={"run_id": run.id, "step_id": step.id},
        )
    return step


def close_run(session: Session, actor: Actor, run: PlanRun, note: str) -> PlanRun:
    if not actor.has(*RUNNERS) or not actor.sees_path(run.unit_path):
        raise Forbidden("只有事发地及以上的值班员、领导可结束预案 / Only the commanding centres close a run.")
    if run.status != "open":
        raise Conflict("预案已结束 / The run is already closed.")
    pending = [s for s in steps_of(session, run.id) if s.mandatory and s.status == "pending"]
    if pending:
        raise Conflict(
            "尚有必做步骤未完成或未说明跳过理由 / Mandatory steps are still pending",
            pending=[{"id": s.id, "key": s.key, "title": s.title} for s in pending],
        )
    run.status, run.closed_at, run.closed_by, run.close_note = "closed", clock.now(), actor.username, note[:400]
    audit.record(session, actor, "plan.closed", run, key=run.plan_key)
    if run.event_id is not None:
        events.note(
            session, actor, run.event_id, "plan", f"预案「{run.name}」结束 / plan run closed", data={"run_id": run.id}
        )
    return run


# -- deadlines --------------------------------------------------------------------------------------------
def sweep(session: Session, now: datetime, *, limit: int = 5000) -> int:
    """Mark pending tasks past their deadline overdue, once each, and tell the centre above."""
    from cityops.core.actor import system_actor

    due = session.execute(
        select(PlanStep, PlanRun)
        .join(PlanRun, PlanRun.id == PlanStep.run_id)
        .where(
            PlanStep.status == "pending", PlanStep.due_at <= now, PlanStep.overdue.is_(False), PlanRun.status == "open"
        )
        .limit(limit)
    ).all()
    marked = 0
    actor = system_actor("system:plans")
    for step, run in due:
        won = session.execute(
            update(PlanStep)
            .where(PlanStep.id == step.id, PlanStep.overdue.is_(False))
            .values(overdue=True, escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            continue
        marked += 1
        unit = session.get(OrgUnit, step.unit_id)
        upper = session.get(OrgUnit, unit.parent_id) if unit is not None and unit.parent_id else unit
        while upper is not None and upper.level not in ("city", "district", "street"):
            upper = session.get(OrgUnit, upper.parent_id) if upper.parent_id else None
        target = upper or unit
        assert target is not None
        notify(
            session,
            unit_id=target.id,
            roles=["dispatcher", "leader"],
            kind="task_overdue",
            title=f"预案任务超时：{step.title}",
            body=f"{run.name}；承办：{unit.name if unit else ''}",
            subject=("plan_step", step.id),
            drill=run.is_drill,
            sms=True,
        )
        if run.event_id is not None:
            events.note(
                session,
                actor,
                run.event_id,
                "plan",
                f"预案任务超时，已报上级 {target.name}：{step.title} / task overdue, escalated",
                data={"run_id": run.id, "step_id": step.id},
            )
    return marked
