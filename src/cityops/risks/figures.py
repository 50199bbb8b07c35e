"""The risk register's runway figures for a unit's subtree (one definition each; docs/risks.md):

- points by level: active risk points located in the subtree, per level;
- overdue inspections: scheduled inspections whose deadline has passed (`overdue` set by the sweep);
- open major hazards: 重大隐患 not yet 销号;
- rectification rate: of the hazards found this calendar year (China time), the share 销号 — none found: no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.events.calendar import CST
from cityops.org import service as org
from cityops.risks.hazards import OPEN
from cityops.risks.matrix import LEVELS
from cityops.risks.models import Hazard, Inspection, RiskPoint


@dataclass
class Figures:
    by_level: dict[str, int] = field(default_factory=dict)
    overdue_inspections: int = 0
    open_major_hazards: int = 0
    found_this_year: int = 0
    closed_this_year: int = 0

    @property
    def points(self) -> int:
        return sum(self.by_level.values())

    @property
    def rectification_rate(self) -> float | None:
        return round(self.closed_this_year / self.found_this_year, 4) if self.found_this_year else None

    def metric(self, name: str) -> float | None:
        if name.startswith("points_"):
            return float(self.by_level.get(name.removeprefix("points_"), 0))
        if name == "rectification_rate":
            return self.rectification_rate
        return float(getattr(self, name))


def by_path(session: Session, now: datetime) -> dict[str, Figures]:
    """The figures of every subtree at once: each row counts for its unit and every unit above it (one
    query per table, rows summed up their paths), memoised for one `now` on the session — the runway
    computes seven indicators for every street."""
    memo = session.info.get("risk_figures")
    if memo is not None and memo[0] == now:
        return dict(memo[1])
    out: dict[str, Figures] = {}

    def each(path: str) -> list[Figures]:
        parts = path.strip("/").split("/")
        return [
            out.setdefault("/" + "/".join(parts[:i]) + "/", Figures(by_level=dict.fromkeys(LEVELS, 0)))
            for i in range(1, len(parts) + 1)
        ]

    for path, level, n in session.execute(
        select(RiskPoint.unit_path, RiskPoint.level, func.count())
        .where(RiskPoint.status == "active")
        .group_by(RiskPoint.unit_path, RiskPoint.level)
    ):
        for f in each(path):
            f.by_level[level] += int(n)
    for path, n in session.execute(
        select(Inspection.unit_path, func.count())
        .where(Inspection.status == "scheduled", Inspection.overdue.is_(True))
        .group_by(Inspection.unit_path)
    ):
        for f in each(path):
            f.overdue_inspections += int(n)
    for path, n in session.execute(
        select(Hazard.unit_path, func.count())
        .where(Hazard.grade == "major", Hazard.status.in_(OPEN))
        .group_by(Hazard.unit_path)
    ):
        for f in each(path):
            f.open_major_hazards += int(n)
    start = datetime(now.astimezone(CST).year, 1, 1, tzinfo=CST)
    for path, found, closed in session.execute(
        select(Hazard.unit_path, func.count(), func.count(Hazard.closed_at))
        .where(Hazard.found_at >= start, Hazard.found_at <= now)
        .group_by(Hazard.unit_path)
    ):
        for f in each(path):
            f.found_this_year += int(found)
            f.closed_this_year += int(closed or 0)
    session.info["risk_figures"] = (now, out)
    return dict(out)


def figures(session: Session, path: str, now: datetime) -> Figures:
    f = Figures(by_level=dict.fromkeys(LEVELS, 0))
    for level, n in session.execute(
        select(RiskPoint.level, func.count())
        .where(RiskPoint.status == "active", org.in_subtree(RiskPoint.unit_path, path))
        .group_by(RiskPoint.level)
    ):
        f.by_level[level] = int(n)
    f.overdue_inspections = int(
        session.scalar(
            select(func.count())
            .select_from(Inspection)
            .where(
                Inspection.status == "scheduled",
                Inspection.overdue.is_(True),
                org.in_subtree(Inspection.unit_path, path),
            )
        )
        or 0
    )
    f.open_major_hazards = int(
        session.scalar(
            select(func.count())
            .select_from(Hazard)
            .where(Hazard.grade == "major", Hazard.status.in_(OPEN), org.in_subtree(Hazard.unit_path, path))
        )
        or 0
    )
    local = now.astimezone(CST)
    start = datetime(local.year, 1, 1, tzinfo=CST)
    found, closed = session.execute(
        select(func.count(), func.count(Hazard.closed_at)).where(
            Hazard.found_at >= start, Hazard.found_at <= now, org.in_subtree(Hazard.unit_path, path)
        )
    ).one()
    f.found_this_year, f.closed_this_year = int(found or 0), int(closed or 0)
    return f


def indicator_values(session: Session, ind: Any, units: list[Any], since: Any, until: Any) -> dict[int, float | None]:
    """The risk register's runway (indicator source type `risks`): current figures of each unit's subtree.
    A street with nothing in the register yet gets no value (shown as no data), which also keeps the first
    computation from writing seven rows for each of the city's 1,031 streets."""
    found = by_path(session, clock.now())
    empty = Figures(by_level={})
    metric = str((ind.source or {}).get("metric"))
    return {
        u.id: found.get(u.path, empty).metric(metric) for u in units if u.path in found or u.id == ind.owner_unit_id
    }
