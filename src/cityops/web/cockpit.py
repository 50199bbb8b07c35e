"""What a cockpit shows for one unit: KPI tiles, child units, top categories, trend, latest events.

Everything comes from the metrics counters and gauges (a few indexed rows), except the latest-events
list, which reads the newest rows of the unit's subtree through the (unit_path, received_at) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.events import catalogue, kpis, metrics
from cityops.events.models import TERMINAL, Event
from cityops.events.service import visible
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit

TILES = ("received_today", "closed_today", "open", "overdue", "alarms", "on_time_rate", "satisfaction_rate")


@dataclass
class Summary:
    unit: OrgUnit
    today: metrics.Figures
    window: metrics.Figures  # the rolling KPI window, with the current gauges
    children: list[dict[str, Any]]
    top_categories: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    since: date
    until: date
    alarms: int = 0

    def tiles(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alarms": self.alarms}
        for code in TILES:
            if code != "alarms":
                out[code] = kpis.value(code, self.today if kpis.KPIS[code].period == "today" else self.window)
        return out

    def tile_list(self, en: bool = False) -> list[dict[str, Any]]:
        """Each tile with its value as shown and the period it covers (named on screen)."""
        values = self.tiles()
        out = []
        for code in TILES:
            value = values[code]
            if code == "alarms":
                name, period, rate = ("Active alarms" if en else "感知告警"), kpis.PERIODS["now"], False
            else:
                k = kpis.KPIS[code]
                name, period, rate = (k.name_en if en else k.name), kpis.PERIODS[k.period], k.kind == "rate"
            shown = "—" if value is None else f"{value * 100:.1f}%" if rate else f"{int(value)}"
            out.append(
                {
                    "key": code,
                    "name": name,
                    "period": period.name_en if en else period.name,
                    "value": value,
                    "display": shown,
                    "alert": code in ("overdue", "alarms") and bool(value),
                }
            )
        return out

    def as_dict(self, en: bool = False) -> dict[str, Any]:
        return {
            "unit": {"id": self.unit.id, "name": self.unit.name, "level": self.unit.level, "path": self.unit.path},
            "tiles": self.tiles(),
            "tile_list": self.tile_list(en),
            "children": self.children,
            "top_categories": self.top_categories,
            "trend": self.trend,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "computed_at": clock.now().isoformat(),
        }


def summary(session: Session, actor: Actor, unit: OrgUnit) -> Summary:
    now = clock.now()
    since, today = kpis.window("30d", now)
    children: list[OrgUnit] = []
    if unit.level in (OrgLevel.city, OrgLevel.district):
        children = list(session.scalars(org.list_children(session, actor, unit)))
    ids = [unit.id, *(c.id for c in children)]
    window = metrics.figures(session, ids, since, today)
    day = metrics.figures(session, [unit.id], today, today)[unit.id]
    cats = catalogue.view(session).by_id
    return Summary(
        unit=unit,
        today=day,
        window=window[unit.id],
        since=since,
        until=today,
        children=[
            {
                "id": c.id,
                "name": c.name,
                "code": c.code,
                "level": c.level,
                "open": window[c.id].open,
                "overdue": window[c.id].overdue,
                "received": window[c.id].received,
                "on_time_rate": kpis.value("on_time_rate", window[c.id]),
            }
            for c in children
        ],
        top_categories=[
            {"name": cats[c].name if c in cats else str(c), "count": n}
            for c, n in metrics.by_category(session, unit.id, since, today)
        ],
        trend=_trend(metrics.trend(session, unit.id, since, today), since, today),
        alarms=active_alarms(session, unit),
    )


def active_alarms(session: Session, unit: OrgUnit) -> int:
    """Active sensor alarms in the unit's subtree (indexed by path; few rows are ever active)."""
    from cityops.sensing.models import Alarm

    stmt = (
        select(func.count())
        .select_from(Alarm)
        .where(Alarm.cleared.is_(False), org.in_subtree(Alarm.unit_path, unit.path))
    )
    return int(session.scalar(stmt) or 0)


def _trend(rows: list[tuple[date, int, int]], since: date, until: date) -> list[dict[str, Any]]:
    by_day = {d: (r, c) for d, r, c in rows}
    out, day = [], since
    while day <= until:
        r, c = by_day.get(day, (0, 0))
        out.append({"day": day.isoformat(), "received": r, "closed": c})
        day += timedelta(days=1)
    return out


def latest_events(session: Session, actor: Actor, unit: OrgUnit, limit: int = 15) -> list[Event]:
    stmt = (
        select(Event)
        .where(visible(actor), org.in_subtree(Event.unit_path, unit.path))
        .order_by(Event.received_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def community_counts(session: Session, actor: Actor, street: OrgUnit) -> list[dict[str, Any]]:
    """Open events per community of a street (a bounded scan of one street's subtree)."""
    communities = list(session.scalars(org.list_children(session, actor, street)))
    counts: dict[int, int] = {}
    open_events = (
        select(Event.unit_path, func.count())
        .where(org.in_subtree(Event.unit_path, street.path), Event.status.not_in([s.value for s in TERMINAL]))
        .group_by(Event.unit_path)
    )
    for path, n in session.execute(open_events):
        parts = path.strip("/").split("/")
        if len(parts) >= 4:
            cid = int(parts[3])
            counts[cid] = counts.get(cid, 0) + int(n)
    return [{"id": c.id, "name": c.name, "open": counts.get(c.id, 0)} for c in communities]
