"""渣土治理 KPIs for the viewer's subtree over China days [first, last] — one definition each, rendered in
docs/kpis.md and checked against a hand count in tests/muck/test_muck.py.

The cohort is the violations detected in the period whose event lies in the subtree and was not voided or
merged as a duplicate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.calendar import CST
from cityops.events.models import Event, Status
from cityops.muck.models import Violation
from cityops.org import service as org

INVALID = (Status.voided.value, Status.merged.value)
DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("violations", "违规数 / Violations", "期内检出的渣土车违规（疑似偷倒、偏离路线、夜间无证）件数，不含作废、并案"),
    ("closed", "办结数 / Closed", "上述违规所开事件中当前已办结的件数"),
    ("closure_rate", "办结率 / Closure rate", "办结数 ÷ 违规数"),
)


@dataclass(frozen=True)
class MuckKpis:
    first: date
    last: date
    violations: int
    closed: int
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def closure_rate(self) -> float | None:
        return round(self.closed / self.violations, 4) if self.violations else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "violations": self.violations,
            "closed": self.closed,
            "closure_rate": self.closure_rate,
            "by_kind": dict(self.by_kind),
        }


def default_period(now: datetime) -> tuple[date, date]:
    today = now.astimezone(CST).date()
    return today - timedelta(days=29), today


def compute(session: Session, actor: Actor, first: date, last: date) -> MuckKpis:
    since = datetime.combine(first, time.min, CST)
    until = datetime.combine(last + timedelta(days=1), time.min, CST)
    rows = session.execute(
        select(Violation.kind, Event.status, func.count())
        .join(Event, Event.id == Violation.event_id)
        .where(
            org.in_subtree(Violation.unit_path, actor.unit_path),
            Violation.at >= since,
            Violation.at < until,
            Event.status.not_in(INVALID),
        )
        .group_by(Violation.kind, Event.status)
    ).all()
    by_kind: dict[str, int] = {}
    closed = 0
    for kind, status, n in rows:
        by_kind[kind] = by_kind.get(kind, 0) + int(n)
        closed += int(n) if status == Status.closed.value else 0
    return MuckKpis(first, last, sum(by_kind.values()), closed, by_kind)


def render_table() -> str:
    lines = ["| 代码 code | 指标 KPI | 定义 definition |", "|---|---|---|"]
    lines += [f"| `{code}` | {name} | {text} |" for code, name, text in DEFINITIONS]
    return "\n".join(lines)
