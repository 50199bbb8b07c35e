"""Grid KPIs for a unit's subtree over China days [first, last] — one definition each, documented in
docs/grid.md and checked against a hand count in tests/grid/test_kpis.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.calendar import CST
from cityops.events.models import Event, Status
from cityops.grid import patrols
from cityops.grid.models import GridAssignment, GridReport, PatrolCheckIn, PatrolSession, Position
from cityops.org import service as org
from cityops.org.models import OrgUnit

INVALID_OUTCOMES = (Status.voided.value, Status.merged.value)  # 作废、并案（重复）: not a valid report
# How each figure is counted, in words for the pages (the same as docs/grid.md; the code below is the rule).
DEFINITIONS: dict[str, tuple[str, str]] = {
    "reports_per_worker": (
        "统计期内网格员上报的问题数 ÷ 辖区内在岗（有有效任职）的网格员人数",
        "grid reports in the period ÷ grid workers with an active assignment in the area",
    ),
    "valid_report_rate": (
        "所转事件既未作废、也未作为重复并案的上报数 ÷ 上报数",
        "reports whose event was neither voided nor merged as a duplicate ÷ reports",
    ),
    "on_spot_rate": ("就地解决的上报数 ÷ 上报数", "reports fixed on the spot ÷ reports"),
    "patrol_coverage": (
        "各巡查计划每个已结束日的 min(实际巡查次数, 每日要求次数) 之和 ÷ 每日要求次数之和",
        "Σ min(patrols started, required per day) ÷ Σ required per day, over active plans and finished days",
    ),
    "on_time_checkin_rate": (
        "在计划每日时段内的签到数 ÷ 统计期内签到数",
        "check-ins inside their plan's daily window ÷ check-ins in the period",
    ),
}


@dataclass(frozen=True)
class GridKpis:
    first: date
    last: date
    workers: int  # grid workers with an active assignment in the subtree
    reports: int  # problems reported by grid workers (grid_report rows) in the period
    valid_reports: int  # … whose event was not voided or merged as a duplicate
    on_spot: int  # … fixed on the spot (就地解决)
    patrols_required: int  # Σ plan.per_day over finished plan-days
    patrols_done: int  # Σ min(patrols started that day, per_day)
    checkins: int
    checkins_on_time: int  # inside the plan's daily window (China time)
    checkins_flagged: int  # outside the grid or unverifiable

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(num / den, 4) if den else None

    @property
    def reports_per_worker(self) -> float | None:
        return round(self.reports / self.workers, 2) if self.workers else None

    @property
    def valid_report_rate(self) -> float | None:  # 有效上报率
        return self._rate(self.valid_reports, self.reports)

    @property
    def on_spot_rate(self) -> float | None:  # 就地解决率
        return self._rate(self.on_spot, self.reports)

    @property
    def patrol_coverage(self) -> float | None:  # 巡查覆盖率
        return self._rate(self.patrols_done, self.patrols_required)

    @property
    def on_time_checkin_rate(self) -> float | None:  # 按时签到率
        return self._rate(self.checkins_on_time, self.checkins)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            first=self.first.isoformat(),
            last=self.last.isoformat(),
            reports_per_worker=self.reports_per_worker,
            valid_report_rate=self.valid_report_rate,
            on_spot_rate=self.on_spot_rate,
            patrol_coverage=self.patrol_coverage,
            on_time_checkin_rate=self.on_time_checkin_rate,
        )
        return out


def default_period(now: datetime) -> tuple[date, date]:
    """The last seven China days, today included."""
    today = now.astimezone(CST).date()
    return today - timedelta(days=6), today


def compute(session: Session, actor: Actor, unit: OrgUnit, first: date, last: date) -> GridKpis:
    """The KPIs of `unit`'s subtree (which the caller has checked the actor may see)."""
    start = datetime.combine(first, time(0), CST)
    stop = datetime.combine(last + timedelta(days=1), time(0), CST)
    workers = session.scalar(
        select(func.count(func.distinct(GridAssignment.user_id))).where(
            GridAssignment.active.is_(True), org.in_subtree(GridAssignment.unit_path, unit.path)
        )
    )
    reports, valid, on_spot = session.execute(
        select(
            func.count(GridReport.id),
            func.coalesce(func.sum(case((Event.status.not_in(INVALID_OUTCOMES), 1), else_=0)), 0),
            func.coalesce(func.sum(case((GridReport.on_spot.is_(True), 1), else_=0)), 0),
        )
        .join(Event, Event.id == GridReport.event_id)
        .where(
            org.in_subtree(GridReport.unit_path, unit.path),
            GridReport.reported_at >= start,
            GridReport.reported_at < stop,
        )
    ).one()
    checkins, on_time, flagged = session.execute(
        select(
            func.count(PatrolCheckIn.id),
            func.coalesce(func.sum(case((PatrolCheckIn.on_time.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((PatrolCheckIn.position != Position.inside.value, 1), else_=0)), 0),
        )
        .join(PatrolSession, PatrolSession.id == PatrolCheckIn.session_id)
        .where(
            org.in_subtree(PatrolSession.unit_path, unit.path),
            PatrolCheckIn.at >= start,
            PatrolCheckIn.at < stop,
        )
    ).one()
    days = patrols.plan_days(session, actor, first, last, within=unit)
    return GridKpis(
        first=first,
        last=last,
        workers=int(workers or 0),
        reports=int(reports or 0),
        valid_reports=int(valid or 0),
        on_spot=int(on_spot or 0),
        patrols_required=sum(d.required for d in days),
        patrols_done=sum(min(d.done, d.required) for d in days),
        checkins=int(checkins or 0),
        checkins_on_time=int(on_time or 0),
        checkins_flagged=int(flagged or 0),
    )
