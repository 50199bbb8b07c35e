"""马路巡查: patrol plans per grid, patrol sessions started and ended on the phone, check-ins judged
inside or outside the grid, and missed patrols.

Inside or outside: when the grid has an imported polygon, the check-in point must lie in it. When it has
none (generated grids have none, and none is invented), the position is resolved through the org geo
base (point → district polygon, address text → street/community names): inside when it resolves into
the grid's community, or only as far as the grid's own street; outside when it resolves into another
community or street; "unverified" (flagged too) when it resolves no further than the district.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from shapely.geometry import Point, shape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.events.calendar import CST
from cityops.grid import service as grids
from cityops.grid.models import GridAssignment, PatrolCheckIn, PatrolPlan, PatrolSession, Position
from cityops.org import geo
from cityops.org import service as org
from cityops.org.models import OrgUnit

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_CHECKPOINTS = 50


class PlanNotFound(NotFound):
    message = "巡查计划不存在 / Patrol plan not found."


class PatrolNotFound(NotFound):
    message = "巡查记录不存在 / Patrol not found."


# -- plans -------------------------------------------------------------------------------------------------
@dataclass
class PlanInput:
    name: str
    checkpoints: list[dict[str, Any]]
    per_day: int = 1
    window_start: str = "08:00"
    window_end: str = "18:00"


def _checkpoints(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(raw) > MAX_CHECKPOINTS:
        raise Invalid(
            f"巡查点不超过{MAX_CHECKPOINTS}个 / too many checkpoints",
            field="checkpoints",
            code="grid.invalid_checkpoints",
        )
    out = []
    for i, cp in enumerate(raw):
        name = str(cp.get("name", "")).strip()[:80]
        if not name:
            raise Invalid(
                "巡查点须有名称 / a checkpoint needs a name",
                field=f"checkpoints.{i}.name",
                code="patrol.checkpoint_name_required",
            )
        lon, lat = cp.get("lon"), cp.get("lat")
        if (lon is None) != (lat is None):
            raise Invalid(
                "经纬度须同时提供 / lon and lat go together",
                field=f"checkpoints.{i}.lat",
                code="patrol.invalid_checkpoint_position",
            )
        if lon is not None and lat is not None:
            geo.check_point(float(lon), float(lat), prefix=f"checkpoints.{i}.")
        out.append({"name": name, "lon": lon, "lat": lat})
    return out


def _validated(data: PlanInput) -> list[dict[str, Any]]:
    if not data.name.strip():
        raise Invalid("请填写计划名称 / name is required", field="name", code="grid.invalid_name")
    if not 1 <= data.per_day <= 12:
        raise Invalid("每日巡查次数须为1-12 / per_day must be 1-12", field="per_day", code="grid.invalid_per_day")
    for f in ("window_start", "window_end"):
        if not HHMM.match(getattr(data, f)):
            raise Invalid("时间须为 HH:MM / time must be HH:MM", field=f, code="patrol.invalid_time")
    if data.window_start >= data.window_end:
        raise Invalid(
            "巡查时段须先开始后结束 / the window must start before it ends",
            field="window_end",
            code="grid.invalid_window_end",
        )
    return _checkpoints(data.checkpoints)


def create_plan(session: Session, actor: Actor, grid: OrgUnit, data: PlanInput) -> PatrolPlan:
    grids.require_admin(actor)
    checkpoints = _validated(data)
    plan = PatrolPlan(
        grid_unit_id=grid.id,
        unit_path=grid.path,
        name=data.name.strip()[:80],
        checkpoints=checkpoints,
        per_day=data.per_day,
        window_start=data.window_start,
        window_end=data.window_end,
        active=True,
        created_at=clock.now(),
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "grid.patrol_plan_created", plan, grid=grid.code, per_day=plan.per_day)


def update_plan(session: Session, actor: Actor, plan: PatrolPlan, data: PlanInput) -> PatrolPlan:
    """Change a plan; patrols already done stay counted against the plan as it was that day."""
    grids.require_admin(actor)
    if not plan.active:
        raise Conflict("该巡查计划已停用 / the plan is retired", code="patrol.plan_retired")
    checkpoints = _validated(data)
    before = {"per_day": plan.per_day, "window": f"{plan.window_start}-{plan.window_end}"}
    plan.name, plan.checkpoints, plan.per_day = data.name.strip()[:80], checkpoints, data.per_day
    plan.window_start, plan.window_end = data.window_start, data.window_end
    session.flush()
    audit.record(session, actor, "grid.patrol_plan_edited", plan, before=before, per_day=plan.per_day)
    return plan


def retire_plan(session: Session, actor: Actor, plan: PatrolPlan) -> PatrolPlan:
    """A retired plan asks for no more patrols (nor counts missed ones); its patrols stay on record."""
    grids.require_admin(actor)
    if not plan.active:
        raise Conflict("该巡查计划已停用 / the plan is retired", code="patrol.plan_retired")
    plan.active = False
    audit.record(session, actor, "grid.patrol_plan_retired", plan)
    return plan


def list_plans(session: Session, actor: Actor, *, grid: OrgUnit | None = None) -> AnySelect:
    stmt = org.scoped(select(PatrolPlan).where(PatrolPlan.active.is_(True)), PatrolPlan.unit_path, actor)
    if grid is not None:
        stmt = stmt.where(PatrolPlan.grid_unit_id == grid.id)
    return stmt.order_by(PatrolPlan.unit_path, PatrolPlan.id)


def access_plan(session: Session, actor: Actor, plan_id: int) -> PatrolPlan:
    return grids.get_in_subtree(session, actor, PatrolPlan, plan_id, PlanNotFound(plan_id=plan_id))


def plans_for_worker(session: Session, actor: Actor) -> list[PatrolPlan]:
    """The active plans of the grids the acting grid worker covers (today's patrols on the phone)."""
    ids = [g.id for g in grids.my_grids(session, actor)]
    if not ids:
        return []
    stmt = select(PatrolPlan).where(PatrolPlan.grid_unit_id.in_(ids), PatrolPlan.active.is_(True))
    return list(session.scalars(stmt.order_by(PatrolPlan.id)))


# -- sessions ----------------------------------------------------------------------------------------------
def require_assigned(session: Session, actor: Actor, grid_unit_id: int) -> None:
    if not actor.has(Role.grid_worker) or actor.user_id is None:
        raise Forbidden("仅网格员可巡查 / only grid workers patrol", code="grid.workers_only")
    assigned = session.scalar(
        select(GridAssignment.id).where(
            GridAssignment.grid_unit_id == grid_unit_id,
            GridAssignment.user_id == actor.user_id,
            GridAssignment.active.is_(True),
        )
    )
    if assigned is None:
        raise Forbidden("您未被分配到该网格 / you are not assigned to this grid", code="grid.not_assigned")


def open_session_of(session: Session, actor: Actor) -> PatrolSession | None:
    if actor.user_id is None:
        return None
    stmt = select(PatrolSession).where(PatrolSession.user_id == actor.user_id, PatrolSession.ended_at.is_(None))
    return session.scalars(stmt).first()


def start(session: Session, actor: Actor, plan: PatrolPlan) -> PatrolSession:
    require_assigned(session, actor, plan.grid_unit_id)
    if not plan.active:
        raise Conflict("该巡查计划已停用 / the plan is retired", code="patrol.plan_retired")
    running = open_session_of(session, actor)
    if running is not None:
        raise Conflict(
            "您有未结束的巡查 / finish your running patrol first", code="patrol.already_running", id=running.id
        )
    row = PatrolSession(
        plan_id=plan.id,
        grid_unit_id=plan.grid_unit_id,
        unit_path=plan.unit_path,
        user_id=actor.user_id,
        started_at=clock.now(),
        ended_at=None,
        flagged=False,
    )
    return audit.add_new(session, actor, "patrol.started", row, plan_id=plan.id)


def list_sessions(session: Session, actor: Actor, *, mine: bool = False, flagged: bool | None = None) -> AnySelect:
    """Patrols in the actor's subtree (a grid worker always sees their own)."""
    visible = org.in_subtree(PatrolSession.unit_path, actor.unit_path)
    if actor.user_id is not None:
        visible = or_(visible, PatrolSession.user_id == actor.user_id)
    stmt = select(PatrolSession).where(visible)
    if mine:
        stmt = stmt.where(PatrolSession.user_id == actor.user_id)
    if flagged is not None:
        stmt = stmt.where(PatrolSession.flagged.is_(flagged))
    return stmt.order_by(PatrolSession.started_at.desc(), PatrolSession.id.desc())


def access_session(session: Session, actor: Actor, session_id: int) -> PatrolSession:
    row = session.get(PatrolSession, session_id)
    if row is None or not (actor.sees_path(row.unit_path) or row.user_id == actor.user_id):
        raise PatrolNotFound(patrol_id=session_id)
    return row


def _own_open(actor: Actor, row: PatrolSession) -> None:
    if row.user_id != actor.user_id:
        raise Forbidden("只能操作自己的巡查 / this is another worker's patrol", code="patrol.not_yours")
    if row.ended_at is not None:
        raise Conflict("巡查已结束 / the patrol has ended", code="patrol.ended")


def end(session: Session, actor: Actor, row: PatrolSession) -> PatrolSession:
    _own_open(actor, row)
    row.ended_at = clock.now()
    audit.record(session, actor, "patrol.ended", row, checkins=len(checkins_of(session, row)))
    return row


def checkins_of(session: Session, row: PatrolSession) -> list[PatrolCheckIn]:
    stmt = select(PatrolCheckIn).where(PatrolCheckIn.session_id == row.id)
    return list(session.scalars(stmt.order_by(PatrolCheckIn.at, PatrolCheckIn.id)))


def position_of(
    session: Session, grid: OrgUnit, lon: float | None, lat: float | None, address: str
) -> tuple[Position, str]:
    """Inside / outside / unverified, with the reason shown to the street (see the module docstring)."""
    record = grids.current_record(session, grid.id)
    if record is not None and record.geojson and lon is not None and lat is not None:
        inside = shape(json.loads(record.geojson)).covers(Point(lon, lat))
        if inside:
            return Position.inside, "坐标在网格边界内 / the point lies inside the grid's boundary"
        return Position.outside, "坐标在网格边界外 / the point lies outside the grid's boundary"
    ids = [int(p) for p in grid.path.strip("/").split("/") if p]
    community_id, street_id = ids[-2], ids[-3]
    try:
        res = geo.resolve(session, lon=lon, lat=lat, text=address or None)
    except Invalid as exc:
        return Position.unverified, f"网格无边界且位置无法解析 / no boundary; position unresolved: {exc.detail}"[:300]
    note = "网格无边界，按位置所属村社核对 / no grid boundary: checked by the community the position resolves to"
    if res.community_id is not None:
        ok = res.community_id == community_id
        return (Position.inside if ok else Position.outside), f"{note}：{res.name}"[:300]
    if res.street_id is not None:
        ok = res.street_id == street_id
        return (Position.inside if ok else Position.outside), f"{note}（仅到镇街）：{res.name}"[:300]
    return Position.unverified, f"{note}：仅能定位到{res.name}，无法核实 / resolves only to the district"[:300]


def _on_time(plan: PatrolPlan | None, at: datetime) -> bool:
    if plan is None:
        return True
    local = at.astimezone(CST).strftime("%H:%M")
    return plan.window_start <= local <= plan.window_end


@dataclass
class CheckInInput:
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    checkpoint: str = ""


def check_in(session: Session, actor: Actor, row: PatrolSession, data: CheckInInput) -> PatrolCheckIn:
    _own_open(actor, row)
    if data.lon is None and data.lat is None and not data.address.strip():
        raise Invalid(
            "签到须有位置：坐标或地址 / a check-in needs a position or an address", field="lon", code="grid.invalid_lon"
        )
    if (data.lon is None) != (data.lat is None):
        raise Invalid("经纬度须同时提供 / lon and lat go together", field="lat", code="grid.invalid_lat")
    if data.lon is not None and data.lat is not None:
        geo.check_point(data.lon, data.lat)
    grid = session.get(OrgUnit, row.grid_unit_id)
    assert grid is not None
    position, reason = position_of(session, grid, data.lon, data.lat, data.address.strip())
    now = clock.now()
    ci = PatrolCheckIn(
        session_id=row.id,
        at=now,
        lon=data.lon,
        lat=data.lat,
        address=data.address.strip()[:300],
        checkpoint=data.checkpoint.strip()[:80],
        position=position,
        reason=reason,
        on_time=_on_time(session.get(PatrolPlan, row.plan_id), now),
    )
    session.add(ci)
    if position != Position.inside:
        row.flagged = True
    session.flush()
    audit.record(session, actor, "patrol.checked_in", ci, session_id=row.id, position=position)
    return ci


# -- missed patrols -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanDay:
    plan_id: int
    plan_name: str
    grid_unit_id: int
    day: date
    required: int
    done: int

    @property
    def missed(self) -> int:
        return max(0, self.required - self.done)


def plan_days(
    session: Session, actor: Actor, first: date, last: date, *, within: OrgUnit | None = None
) -> list[PlanDay]:
    """Each active plan × each China day in [first, last] that has finished (its window closed before now),
    with how many patrols were required and how many were started that day."""
    now = clock.now()
    plans = list(session.scalars(list_plans(session, actor)))
    if within is not None:
        plans = [p for p in plans if p.unit_path.startswith(within.path)]
    if not plans:
        return []
    start = datetime.combine(first, time(0), CST)
    stop = datetime.combine(last + timedelta(days=1), time(0), CST)
    done: dict[tuple[int, date], int] = {}
    rows = session.execute(
        select(PatrolSession.plan_id, PatrolSession.started_at).where(
            PatrolSession.plan_id.in_([p.id for p in plans]),
            PatrolSession.started_at >= start,
            PatrolSession.started_at < stop,
        )
    )
    for plan_id, at in rows:
        key = (plan_id, at.astimezone(CST).date())
        done[key] = done.get(key, 0) + 1
    out = []
    for p in plans:
        created = p.created_at.astimezone(CST).date()
        day = max(first, created)
        while day <= last:
            hh, mm = (int(x) for x in p.window_end.split(":"))
            if datetime.combine(day, time(hh, mm), CST) <= now:
                out.append(PlanDay(p.id, p.name, p.grid_unit_id, day, p.per_day, done.get((p.id, day), 0)))
            day += timedelta(days=1)
    return out


def count_sessions(session: Session, actor: Actor) -> int:
    return int(session.scalar(select(func.count()).select_from(list_sessions(session, actor).subquery())) or 0)
