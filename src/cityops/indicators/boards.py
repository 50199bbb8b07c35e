"""Boards → runways → indicators for one unit, and one indicator's page: values computed for the viewer's
own unit by the one KPI definition; report figures (the city's only) labelled city-wide."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.errors import NotFound
from cityops.indicators import current, service
from cityops.indicators.models import Board, Indicator, IndicatorValue, Runway
from cityops.indicators.service import CENTRE_LEVELS
from cityops.org import service as org
from cityops.org.models import OrgUnit


def _value(v: IndicatorValue | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "period": v.period_key,
        "value": v.value,
        "target": v.target,
        "comparator": v.comparator,
        "score": v.score,
        "status": v.status,
        "provenance": v.provenance or {},
    }


def _head(ind: Indicator) -> dict[str, Any]:
    """What a board's item and an indicator's detail both say of the indicator itself."""
    return {
        "id": ind.id,
        "code": ind.code,
        "name": ind.name,
        "name_en": ind.name_en,
        "kind": ind.kind,
        "unit": ind.unit,
        "period": ind.period,
        "direction": ind.direction,
    }


def _item(ind: Indicator, latest: dict[str, Any] | None, unit: OrgUnit, en: bool) -> dict[str, Any]:
    return {
        **_head(ind),
        "latest": latest,
        **current.labels(ind, latest, unit, en),
    }


def boards_for(session: Session, actor: Actor, unit: OrgUnit, *, en: bool = False) -> list[dict[str, Any]]:
    """Every indicator for `unit`: computed ones over the unit's own subtree now; report figures (which
    exist for the city only) as the city's, labelled city-wide."""
    indicators = list(session.scalars(select(Indicator).order_by(Indicator.id)))
    now = clock.now()
    external = [i for i in indicators if not current.computed(i)]
    stored = {
        uid: service.latest_status(session, [i.id for i in external if i.owner_unit_id == uid], uid)
        for uid in {i.owner_unit_id for i in external}
    }
    by_runway: dict[int, list[dict[str, Any]]] = {}
    for ind in indicators:
        if current.computed(ind):
            latest: dict[str, Any] | None = current.live(session, ind, unit, now)
        else:
            latest = _value(stored[ind.owner_unit_id].get(ind.id))
            if latest is not None:
                latest["scope"] = "city" if ind.owner_unit_id != unit.id else "unit"
        by_runway.setdefault(ind.runway_id, []).append(_item(ind, latest, unit, en))
    out = []
    for board in session.scalars(select(Board).order_by(Board.sort)):
        runways = []
        for r in session.scalars(select(Runway).where(Runway.board_id == board.id).order_by(Runway.sort)):
            items = by_runway.get(r.id, [])
            statuses = [i["latest"]["status"] for i in items if i["latest"]]
            worst = next((s for s in ("red", "amber", "green") if s in statuses), "none")
            runways.append({"id": r.id, "code": r.code, "name": r.name, "status": worst, "indicators": items})
        out.append({"id": board.id, "code": board.code, "name": board.name, "runways": runways})
    return out


def _history(session: Session, ind: Indicator, unit_id: int) -> list[IndicatorValue]:
    stmt = (
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id == ind.id, IndicatorValue.unit_id == unit_id)
        .order_by(IndicatorValue.period_key)
    )
    return list(session.scalars(stmt))


def _live_drill(session: Session, actor: Actor, ind: Indicator, unit: OrgUnit) -> list[dict[str, Any]]:
    """Each child centre unit's own value now, by the same definition (worst first)."""
    children = list(
        session.scalars(
            org.list_children(session, actor, unit).where(OrgUnit.level.in_([lvl.value for lvl in CENTRE_LEVELS]))
        )
    )
    key, since, until = service.period_key(ind.period, clock.now())
    values = service.values_for(session, ind, children, since, until)
    fraction = current.is_fraction(ind)
    rows = []
    for child in children:
        value = values.get(child.id)
        score, status = service.assess(value, ind.target, ind.direction, ind.green_score, ind.amber_score)
        rows.append(
            {
                "unit_id": child.id,
                "unit": child.name,
                "period": key,
                "value": value,
                "score": score,
                "status": status,
                "display": current.display(value, ind.unit, fraction),
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, r["score"] if r["score"] is not None else 0))
    return rows


def _stored_drill(session: Session, ind: Indicator, unit: OrgUnit, key: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(IndicatorValue, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == IndicatorValue.unit_id)
        .where(
            IndicatorValue.indicator_id == ind.id,
            IndicatorValue.period_key == key,
            IndicatorValue.unit_id != unit.id,
            org.in_subtree(OrgUnit.path, unit.path),
        )
        .order_by(IndicatorValue.score)
        .limit(200)
    )
    fraction = current.is_fraction(ind)
    return [
        {
            "unit_id": v.unit_id,
            "unit": name,
            "display": current.display(v.value, ind.unit, fraction),
            **(_value(v) or {}),
        }
        for v, name in rows
    ]


def indicator_detail(session: Session, actor: Actor, indicator_id: int, unit_id: int | None) -> dict[str, Any]:
    ind = session.get(Indicator, indicator_id)
    if ind is None:
        raise NotFound("指标不存在 / Indicator not found.", indicator_id=indicator_id, code="indicator.not_found")
    owner = session.get(OrgUnit, ind.owner_unit_id)
    if unit_id is not None:
        unit = org.access_unit(session, actor, unit_id)
    elif owner is not None and actor.sees_path(owner.path) and not current.computed(ind):
        unit = owner
    else:
        unit = org.access_unit(session, actor, actor.unit_id or 0)
    fraction = current.is_fraction(ind)
    if current.computed(ind):
        now_value: dict[str, Any] | None = current.live(session, ind, unit, clock.now())
        history = _history(session, ind, unit.id)
        drill = _live_drill(session, actor, ind, unit)
        scope = "unit"
    else:  # report figures exist for their owner (the city): shown as such, labelled city-wide
        history = _history(session, ind, owner.id if owner else unit.id)
        now_value = _value(history[-1]) if history else None
        drill = _stored_drill(session, ind, unit, history[-1].period_key) if history else []
        scope = "unit" if owner is not None and owner.id == unit.id else "city"
    if now_value is not None:
        now_value["scope"] = scope
    return {
        **_head(ind),
        "target": ind.target,
        "source": ind.source,
        "unit_id": unit.id,
        "unit_name": unit.name,
        "scope": scope,
        "current": now_value,
        **current.labels(ind, now_value, unit),
        "history": [
            {
                **(_value(v) or {}),
                "display": current.display(v.value, ind.unit, fraction),
                "target_display": current.display(v.target, ind.unit, fraction),
            }
            for v in history
        ],
        "drill_down": drill,
    }
