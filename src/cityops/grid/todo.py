"""待办 of the grid domain: a grid worker's patrols still due today; a street's flagged patrols of today;
a district's 职责准入 requests waiting for its decision."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.todo import TodoItem
from cityops.events.calendar import CST
from cityops.grid import duties, patrols
from cityops.grid.models import DutyAdmission, PatrolSession
from cityops.org.models import OrgLevel, OrgUnit


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    items: list[TodoItem] = []
    today = now.astimezone(CST).date()
    if actor.has(Role.grid_worker) and actor.user_id is not None:
        start = datetime.combine(today, time(0), CST)
        for plan in patrols.plans_for_worker(session, actor):
            done = session.scalar(
                select(func.count(PatrolSession.id)).where(
                    PatrolSession.plan_id == plan.id, PatrolSession.started_at >= start
                )
            )
            if int(done or 0) < plan.per_day:
                hh, mm = (int(x) for x in plan.window_end.split(":"))
                grid = session.get(OrgUnit, plan.grid_unit_id)
                items.append(
                    TodoItem(
                        kind="grid.patrol",
                        kind_label="待巡查 / Patrol due",
                        title=f"{plan.name}（今日 {int(done or 0)}/{plan.per_day}）",
                        url="/m",
                        unit_name=grid.name if grid else "",
                        due_at=datetime.combine(today, time(hh, mm), CST),
                    )
                )
    if actor.has(Role.dispatcher, Role.leader) and actor.unit_level in (OrgLevel.street, OrgLevel.community):
        start = datetime.combine(today, time(0), CST)
        for row in session.scalars(
            patrols.list_sessions(session, actor, flagged=True).where(PatrolSession.started_at >= start).limit(50)
        ):
            items.append(
                TodoItem(
                    kind="grid.flagged_patrol",
                    kind_label="异常巡查 / Flagged patrol",
                    title=f"巡查 #{row.id} 有网格外签到",
                    url=f"/grid?unit_id={actor.unit_id}",
                    unit_name="",
                    due_at=None,
                )
            )
    if actor.has(Role.leader, Role.sysadmin) and actor.unit_level == OrgLevel.district:
        pending = duties.list_admissions(session, actor).where(DutyAdmission.status == "pending").limit(50)
        for adm in session.scalars(pending):
            items.append(
                TodoItem(
                    kind="grid.duty_admission",
                    kind_label="职责准入待审 / Duty admission",
                    title=adm.name,
                    url=f"/api/duty-admissions/{adm.id}",
                    unit_name="",
                    due_at=None,
                )
            )
    return items
