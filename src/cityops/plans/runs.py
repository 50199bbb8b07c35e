"""Plan runs after they start (activation is plans/activation.py): who sees them, step completion,
closing, and the deadline sweep that marks tasks overdue and escalates them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events import service as events
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.plans.activation import RUNNERS
from cityops.plans.models import PlanRun, PlanStep
from cityops.plans.notify import notify
from cityops.workflow.engine import Flow

STEP_ACTORS = (Role.dispatcher, Role.leader, Role.handler)

# A run is open until its commanding centre closes it; a step is settled once, done or skipped with a reason.
RUN_FLOW = Flow(
    "plan_run",
    {("open", "close"): "closed", ("open", "finish_step"): Flow.STAY},
    labels={"open": "进行中", "closed": "已结束", "close": "结束预案", "finish_step": "办理步骤"},
    code="plan.run_closed",
)
STEP_FLOW = Flow(
    "plan_step",
    {("pending", "done"): "done", ("pending", "skip"): "skipped"},
    labels={"pending": "待办", "done": "完成", "skipped": "已跳过", "skip": "跳过"},
    code="plan.step_settled",
)


class RunNotFound(NotFound):
    message = "预案启动记录不存在 / Plan run not found."
    default_code = "plan.run_not_found"


def run_visible(actor: Actor) -> Any:
    """A run is seen by the units over its place and by anyone holding one of its steps."""
    from sqlalchemy import exists, or_

    holds_step = exists().where(
        PlanStep.run_id == PlanRun.id, org.in_subtree_or_department(PlanStep.unit_path, PlanStep.department_id, actor)
    )
    return or_(org.in_subtree(PlanRun.unit_path, actor.unit_path), holds_step)


def access_run(session: Session, actor: Actor, run_id: int) -> PlanRun:
    return one_or_raise(
        session, select(PlanRun).where(PlanRun.id == run_id, run_visible(actor)), RunNotFound(run_id=run_id)
    )


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
        raise NotFound("步骤不存在 / Step not found.", step_id=step_id, code="plan.step_not_found")
    if not may_act(actor, step):
        raise Forbidden("该步骤不由你承办 / This step is not yours to complete.", code="plan.step_not_yours")
    RUN_FLOW.next_state(run.status, "finish_step")
    settled = STEP_FLOW.next_state(step.status, action)
    if action == "skip" and not note.strip():
        raise Invalid("跳过须说明理由 / Skipping needs a reason", field="note", code="plan.invalid_note")
    if checklist is not None:
        if len(checklist) != len(step.checklist):
            raise Invalid(
                f"清单共 {len(step.checklist)} 项 / The checklist has {len(step.checklist)} items",
                field="checklist",
                code="plan.invalid_checklist",
            )
        step.checklist = [{"item": c["item"], "done": bool(d)} for c, d in zip(step.checklist, checklist, strict=True)]
    now = clock.now()
    step.status = settled
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
        raise Forbidden(
            "只有事发地及以上的值班员、领导可结束预案 / Only the commanding centres close a run.",
            code="plan.not_commanding_centre",
        )
    closed = RUN_FLOW.next_state(run.status, "close")
    pending = [s for s in steps_of(session, run.id) if s.mandatory and s.status == "pending"]
    if pending:
        raise Conflict(
            "尚有必做步骤未完成或未说明跳过理由 / Mandatory steps are still pending",
            pending=[{"id": s.id, "key": s.key, "title": s.title} for s in pending],
            code="plan.steps_pending",
        )
    run.status, run.closed_at, run.closed_by, run.close_note = closed, clock.now(), actor.username, note[:400]
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
        target = org.centre_unit_above(session, step.unit_id) or unit
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
