"""An indicator's value for the viewer's own unit right now, computed by the same definition the periodic
job stores, and how a value is shown: fractions as percentages, counts as whole numbers with their unit.

Figures from Chongqing's published reports exist for the city only; they are labelled city-wide, never
passed off as a district's or a street's own figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cityops.events import kpis
from cityops.indicators import service
from cityops.indicators.models import Indicator
from cityops.org.models import OrgUnit

PERIOD_NAMES = {"year": ("年度", "year"), "month": ("本月", "this month"), "day": ("当日", "day")}
COUNT_UNITS = ("件", "个", "次", "人", "处", "台")
CITY_WIDE = ("全市数据", "city-wide figure")


def is_fraction(ind: Indicator) -> bool:
    """Closed-loop rates are stored as fractions (0.9); report figures in % are stored as printed (5.7)."""
    code = service.event_kpi_code(ind)
    # A domain's source says so itself when its rates are fractions (the grid KPIs).
    return (code is not None and kpis.KPIS[code].kind == "rate") or bool((ind.source or {}).get("fraction"))


def computed(ind: Indicator) -> bool:
    return (ind.source or {}).get("type") not in (None, "external")


def period_name(period: str, en: bool = False) -> str:
    if period in kpis.PERIODS:
        p = kpis.PERIODS[period]
        return p.name_en if en else p.name
    zh, english = PERIOD_NAMES.get(period, (period, period))
    return english if en else zh


def display(value: float | None, unit: str, fraction: bool) -> str:
    if value is None:
        return "—"
    if fraction:
        return f"{value * 100:.1f}%"
    if unit in COUNT_UNITS:
        return f"{round(value):d}{unit}"
    return f"{value:g}{unit}"


def live(session: Session, ind: Indicator, unit: OrgUnit, now: datetime) -> dict[str, Any]:
    """The indicator's value for `unit`'s subtree over its period ending now, with status and labels."""
    key, since, until = service.period_key(ind.period, now)
    value = service.values_for(session, ind, [unit], since, until).get(unit.id)
    score, status = service.assess(value, ind.target, ind.direction, ind.green_score, ind.amber_score)
    return {
        "period": key,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "value": value,
        "target": ind.target,
        "comparator": ">=" if ind.direction == "higher" else "<=",
        "score": score,
        "status": status,
        "provenance": {},
        "scope": "unit",
        "unit_id": unit.id,
    }


def labels(ind: Indicator, latest: dict[str, Any] | None, unit: OrgUnit, en: bool = False) -> dict[str, Any]:
    """The words beside a value: its period, whose figure it is, and the value as shown."""
    fraction = is_fraction(ind)
    scope_name = unit.name if (latest or {}).get("scope") == "unit" else CITY_WIDE[1 if en else 0]
    return {
        "period_name": period_name(ind.period, en),
        "scope_name": scope_name,
        "fraction": fraction,
        "display": display((latest or {}).get("value"), ind.unit, fraction),
        "target_display": display(ind.target, ind.unit, fraction) if ind.target is not None else "—",
    }
