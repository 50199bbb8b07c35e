"""根治欠薪 KPIs for the viewer's subtree over China days [first, last] — one definition each, rendered in
docs/kpis.md and checked against a hand count in tests/wages/test_kpis.py.

The cohort is the complaints (not the account warnings) received in the period and still valid (not voided
or merged as a duplicate); every figure is over that cohort, so the numbers add up on one screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.calendar import CST
from cityops.events.models import Event, Status
from cityops.org import service as org
from cityops.wages.models import WageCase

INVALID = (Status.voided.value, Status.merged.value)

DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("cases", "欠薪案件数 / Cases", "期内受理的欠薪投诉件数（不含专户预警，不含作废、并案）"),
    ("closed", "办结数 / Closed", "上述案件中当前已办结的件数"),
    ("closure_rate", "办结率 / Closure rate", "办结数 ÷ 欠薪案件数"),
    ("recovered_yuan", "追回金额（元） / Amount recovered", "上述已办结案件登记的追回金额之和"),
    ("workers_helped", "帮助农民工人数 / Workers helped", "上述已办结且追回金额大于0的案件登记的受助人数之和"),
    ("repeat_employers", "重复被投诉单位数 / Repeat employers", "上述案件中有2件及以上的用人单位数"),
)


@dataclass(frozen=True)
class WageKpis:
    first: date
    last: date
    cases: int
    closed: int
    recovered_fen: int
    workers_helped: int
    repeat_employers: int

    @property
    def closure_rate(self) -> float | None:
        return round(self.closed / self.cases, 4) if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "cases": self.cases,
            "closed": self.closed,
            "closure_rate": self.closure_rate,
            "recovered_yuan": self.recovered_fen / 100,
            "workers_helped": self.workers_helped,
            "repeat_employers": self.repeat_employers,
        }


def default_period(now: datetime) -> tuple[date, date]:
    """The last 30 China days, today included (as the closed-loop KPIs)."""
    today = now.astimezone(CST).date()
    return today - timedelta(days=29), today


def compute(session: Session, actor: Actor, first: date, last: date, unit_path: str | None = None) -> WageKpis:
    path = unit_path or actor.unit_path
    since = datetime.combine(first, time.min, CST)
    until = datetime.combine(last + timedelta(days=1), time.min, CST)
    cohort = (
        select(WageCase.id, WageCase.employer_id, WageCase.recovered_fen, WageCase.workers_paid, Event.status)
        .join(Event, Event.id == WageCase.event_id)
        .where(
            WageCase.kind == "complaint",
            org.in_subtree(WageCase.unit_path, path),
            Event.received_at >= since,
            Event.received_at < until,
            Event.status.not_in(INVALID),
        )
        .subquery()
    )
    closed = cohort.c.status == Status.closed.value
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((closed, 1), else_=0)), 0),
        ).select_from(cohort)
    ).one()
    recovered, helped = session.execute(
        select(
            func.coalesce(func.sum(cohort.c.recovered_fen), 0),
            func.coalesce(func.sum(case((cohort.c.recovered_fen > 0, cohort.c.workers_paid), else_=0)), 0),
        ).where(closed)
    ).one()
    repeat = session.scalar(
        select(func.count()).select_from(
            select(cohort.c.employer_id)
            .where(cohort.c.employer_id.is_not(None))
            .group_by(cohort.c.employer_id)
            .having(func.count() >= 2)
            .subquery()
        )
    )
    return WageKpis(first, last, int(row[0]), int(row[1]), int(recovered), int(helped), int(repeat or 0))


def render_table() -> str:
    lines = ["| 代码 code | 指标 KPI | 定义 definition |", "|---|---|---|"]
    lines += [f"| `{code}` | {name} | {text} |" for code, name, text in DEFINITIONS]
    return "\n".join(lines)
