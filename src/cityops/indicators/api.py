"""Boards, runways and indicators: the tree with status colours, an indicator's history with its
provenance, drill-down by unit, and risk prompts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import NotFound
from cityops.indicators import service
from cityops.indicators.models import Board, Indicator, IndicatorValue, RiskPrompt, Runway
from cityops.org import service as org
from cityops.org.models import OrgUnit

router = APIRouter(prefix="/api", tags=["indicators"], route_class=TransactionalRoute)


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


def boards_for(session: Session, actor: Actor, unit: OrgUnit) -> list[dict[str, Any]]:
    indicators = list(session.scalars(select(Indicator).order_by(Indicator.id)))
    own = service.latest_status(session, [i.id for i in indicators], unit.id)
    owner_ids = {i.owner_unit_id for i in indicators}
    fallback = {uid: service.latest_status(session, [i.id for i in indicators], uid) for uid in owner_ids}
    by_runway: dict[int, list[dict[str, Any]]] = {}
    for ind in indicators:
        latest = own.get(ind.id) or fallback[ind.owner_unit_id].get(ind.id)
        by_runway.setdefault(ind.runway_id, []).append(
            {
                "id": ind.id,
                "code": ind.code,
                "name": ind.name,
                "name_en": ind.name_en,
                "kind": ind.kind,
                "unit": ind.unit,
                "direction": ind.direction,
                "latest": _value(latest),
            }
        )
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


@router.get("/boards")
def list_boards(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[int | None, Query(description="default: your own unit")] = None,
) -> list[dict[str, Any]]:
    """Boards → runways → indicators with the latest value and status colour for a unit."""
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else (actor.unit_id or 0))
    return boards_for(session, actor, unit)


def indicator_detail(session: Session, actor: Actor, indicator_id: int, unit_id: int | None) -> dict[str, Any]:
    ind = session.get(Indicator, indicator_id)
    if ind is None:
        raise NotFound("指标不存在 / Indicator not found.", indicator_id=indicator_id)
    owner = session.get(OrgUnit, ind.owner_unit_id)
    if unit_id is not None:
        unit = org.access_unit(session, actor, unit_id)
    elif owner is not None and actor.sees_path(owner.path):
        unit = owner
    else:
        unit = org.access_unit(session, actor, actor.unit_id or 0)
    history = list(
        session.scalars(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id == ind.id, IndicatorValue.unit_id == unit.id)
            .order_by(IndicatorValue.period_key)
        )
    )
    if not history and owner is not None and unit.id != owner.id:
        history = list(
            session.scalars(
                select(IndicatorValue)
                .where(IndicatorValue.indicator_id == ind.id, IndicatorValue.unit_id == owner.id)
                .order_by(IndicatorValue.period_key)
            )
        )
    drill: list[dict[str, Any]] = []
    if history:
        key = history[-1].period_key
        rows = session.execute(
            select(IndicatorValue, OrgUnit.name, OrgUnit.path)
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
        drill = [{"unit_id": v.unit_id, "unit": name, **(_value(v) or {})} for v, name, _ in rows]
    return {
        "id": ind.id,
        "code": ind.code,
        "name": ind.name,
        "name_en": ind.name_en,
        "kind": ind.kind,
        "unit": ind.unit,
        "period": ind.period,
        "direction": ind.direction,
        "target": ind.target,
        "source": ind.source,
        "unit_id": unit.id,
        "unit_name": unit.name,
        "history": [_value(v) for v in history],
        "drill_down": drill,
    }


@router.get("/indicators/{indicator_id}", responses={404: {"description": "unknown indicator or unit"}})
def get_indicator(
    indicator_id: int, session: SessionDep, actor: ActorDep, unit_id: Annotated[int | None, Query()] = None
) -> dict[str, Any]:
    """An indicator's history for a unit (targets, results, status, sources and quotes) and its drill-down."""
    return indicator_detail(session, actor, indicator_id, unit_id)


@router.get("/risk-prompts")
def list_risk_prompts(
    session: SessionDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    """风险提示 raised by red indicators in the caller's jurisdiction, newest first."""
    stmt = org.scoped(select(RiskPrompt), RiskPrompt.unit_path, actor).order_by(RiskPrompt.id.desc()).limit(limit)
    return [
        {
            "id": p.id,
            "indicator_id": p.indicator_id,
            "unit_id": p.unit_id,
            "period": p.period_key,
            "value": p.value,
            "text": p.text,
            "created_at": p.created_at.isoformat(),
            "status": p.status,
        }
        for p in session.scalars(stmt)
    ]
