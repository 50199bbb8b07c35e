"""Indicators: default boards and runways, the 经济运行 runway from Chongqing's reports, values computed
from events, alarms and readings (incrementally, by a periodic job), statuses, and risk prompts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, outbox
from cityops.core.hooks import hooks_of
from cityops.events import kpis, metrics
from cityops.events.calendar import CST
from cityops.indicators.models import Indicator, IndicatorValue, RiskPrompt
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit


def assess(
    value: float | None, target: float | None, direction: str, green: float = 1.0, amber: float = 0.9
) -> tuple[float | None, str]:
    """score = value ÷ target (higher is better) or target ÷ value (lower); green ≥ 1, amber ≥ 0.9, else red."""
    if value is None or target is None:
        return None, "none"
    if direction == "higher":
        score = value / target if target else (1.0 if value >= 0 else 0.0)
    else:
        score = (target / value if value else 1.0) if target else (1.0 if value <= 0 else 0.0)
    status = "green" if score >= green else "amber" if score >= amber else "red"
    return round(score, 4), status


# -- computing ------------------------------------------------------------------------------------------
def period_key(period: str, at: datetime) -> tuple[str, date, date]:
    """The key a value is stored under and the local days it covers. A rolling period is keyed by its last
    day (its value at the end of that day); a snapshot (`now`) by the day it was taken."""
    local = at.astimezone(CST)
    day = local.date()
    if period == "year":
        return str(day.year), date(day.year, 1, 1), date(day.year, 12, 31)
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return f"{day:%Y-%m}", start, end
    if period in kpis.PERIODS:
        since, until = kpis.window(period, at)
        return until.isoformat(), since, until
    return day.isoformat(), day, day


CENTRE_LEVELS = (OrgLevel.city, OrgLevel.district, OrgLevel.street)


def _units_for(session: Session, ind: Indicator) -> list[OrgUnit]:
    """The owner and every centre unit below it down to the indicator's drill level."""
    owner = session.get(OrgUnit, ind.owner_unit_id)
    if owner is None:
        return []
    units = [owner]
    if ind.drill_level in CENTRE_LEVELS:
        depth = CENTRE_LEVELS.index(OrgLevel(ind.drill_level))
        levels = [lvl.value for lvl in CENTRE_LEVELS[: depth + 1]]
        stmt = select(OrgUnit).where(
            OrgUnit.level.in_(levels),
            OrgUnit.id != owner.id,
            OrgUnit.valid_to.is_(None),
            org.in_subtree(OrgUnit.path, owner.path),
        )
        units += list(session.scalars(stmt))
    return units


def event_kpi_code(ind: Indicator) -> str | None:
    """The KPI an indicator over events reads (older rows name it `metric`)."""
    src = ind.source or {}
    if src.get("type") != "events":
        return None
    code = src.get("kpi") or {"on_time_live": "on_time_rate"}.get(src.get("metric", ""), src.get("metric"))
    return str(code) if code in kpis.KPIS else None


def values_for(
    session: Session, ind: Indicator, units: list[OrgUnit], since: date, until: date
) -> dict[int, float | None]:
    src = ind.source or {}
    kind = src.get("type")
    if kind == "events":
        code = event_kpi_code(ind)
        ids = [u.id for u in units if u.level in CENTRE_LEVELS]
        if code is None or not ids:
            return {u.id: None for u in units}
        figs = metrics.figures(session, ids, since, until)
        return {u.id: kpis.value(code, figs[u.id]) if u.id in figs else None for u in units}
    offered = hooks_of(session).indicator_sources.get(str(kind))
    if offered is not None:
        return offered(session, ind, units, since, until)
    if kind == "alarms":
        from cityops.sensing.models import Alarm

        out: dict[int, float | None] = {}
        for unit in units:
            stmt = (
                select(func.count())
                .select_from(Alarm)
                .where(Alarm.cleared.is_(False), org.in_subtree(Alarm.unit_path, unit.path))
            )
            if src.get("severity"):
                stmt = stmt.where(Alarm.severity.in_(src["severity"]))
            if src.get("sectors"):
                stmt = stmt.where(Alarm.sector.in_(src["sectors"]))
            out[unit.id] = float(session.scalar(stmt) or 0)
        return out
    if kind == "readings":
        from cityops.sensing.models import Device, Rollup

        out = {}
        start = datetime(since.year, since.month, since.day, tzinfo=CST)
        for unit in units:
            top = (
                select(func.max(Rollup.max_value))
                .join(Device, Device.id == Rollup.device_id)
                .where(
                    Rollup.period == "h",
                    Rollup.bucket >= start,
                    Device.type_code == src.get("device_type"),
                    org.in_subtree(Device.unit_path, unit.path),
                )
            )
            value = session.scalar(top)
            out[unit.id] = float(value) if value is not None else None
        return out
    return {}


def compute(session: Session, now: datetime) -> int:
    """Recompute the current period's value of every computed indicator; red values raise risk prompts once."""
    written = 0
    for ind in session.scalars(select(Indicator)):
        if (ind.source or {}).get("type") in (None, "external"):
            continue
        key, since, until = period_key(ind.period, now)
        units = _units_for(session, ind)
        values = values_for(session, ind, units, since, until)
        existing = {
            v.unit_id: v
            for v in session.scalars(
                select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id, IndicatorValue.period_key == key)
            )
        }
        paths = {u.id: u for u in units}
        for unit_id, value in values.items():
            score, status = assess(value, ind.target, ind.direction, ind.green_score, ind.amber_score)
            row = existing.get(unit_id)
            if row is None:
                row = IndicatorValue(
                    indicator_id=ind.id, unit_id=unit_id, period_key=key, comparator=">=", provenance={}
                )
                session.add(row)
            elif row.value == value and row.status == status:
                continue
            row.value, row.target, row.score, row.status, row.computed_at = value, ind.target, score, status, now
            written += 1
            if status == "red":
                _prompt(session, ind, paths[unit_id], key, value, now)
    return written


def _prompt(session: Session, ind: Indicator, unit: OrgUnit, key: str, value: float | None, now: datetime) -> None:
    exists = session.scalar(
        select(RiskPrompt.id).where(
            RiskPrompt.indicator_id == ind.id, RiskPrompt.unit_id == unit.id, RiskPrompt.period_key == key
        )
    )
    if exists is not None:
        return
    text = (
        f"{unit.name}「{ind.name}」{key} 为 {value if value is not None else '—'}{ind.unit}，"
        f"目标 {ind.target}{ind.unit}，已亮红灯 / {ind.name} is red for {unit.name}"
    )
    prompt = RiskPrompt(
        indicator_id=ind.id,
        unit_id=unit.id,
        unit_path=unit.path,
        period_key=key,
        value=value,
        text=text,
        created_at=now,
        status="open",
    )
    session.add(prompt)
    session.flush()
    from cityops.core.actor import system_actor

    audit.record(
        session,
        system_actor("system:indicators"),
        "indicators.risk_prompt",
        prompt,
        indicator=ind.code,
        unit_id=unit.id,
        period=key,
    )
    outbox.add(
        session,
        "indicators.risk_prompt",
        prompt_id=prompt.id,
        unit_id=unit.id,
        unit_path=unit.path,
        indicator=ind.code,
        text=text,
    )


def latest_status(session: Session, indicator_ids: list[int], unit_id: int) -> dict[int, IndicatorValue]:
    """The newest value of each indicator for one unit."""
    out: dict[int, IndicatorValue] = {}
    stmt = (
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id.in_(indicator_ids), IndicatorValue.unit_id == unit_id)
        .order_by(IndicatorValue.indicator_id, IndicatorValue.period_key)
    )
    for v in session.scalars(stmt):
        out[v.indicator_id] = v
    return out


def owner_level_ok(unit: OrgUnit) -> bool:
    return unit.level in (OrgLevel.city, OrgLevel.district, OrgLevel.street)
