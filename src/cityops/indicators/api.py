"""Boards, runways and indicators: the tree with status colours, an indicator's history with its
provenance, drill-down by unit, and risk prompts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.indicators import custom
from cityops.indicators.boards import boards_for, indicator_detail
from cityops.indicators.models import RiskPrompt
from cityops.indicators.schemas import BoardOut, FormIndicatorIn, FormIndicatorOut, IndicatorDetailOut, RiskPromptOut
from cityops.org import service as org

router = APIRouter(prefix="/api", tags=["indicators"], route_class=TransactionalRoute)


@router.get("/boards")
def list_boards(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[int | None, Query(description="default: your own unit")] = None,
) -> list[BoardOut]:
    """Boards → runways → indicators with the latest value and status colour for a unit."""
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else (actor.unit_id or 0))
    return [BoardOut.model_validate(b) for b in boards_for(session, actor, unit)]


@router.get("/indicators/{indicator_id}", responses={404: {"description": "unknown indicator or unit"}})
def get_indicator(
    indicator_id: int, session: SessionDep, actor: ActorDep, unit_id: Annotated[int | None, Query()] = None
) -> IndicatorDetailOut:
    """An indicator's history for a unit (targets, results, status, sources and quotes) and its drill-down."""
    return IndicatorDetailOut.model_validate(indicator_detail(session, actor, indicator_id, unit_id))


@router.get("/risk-prompts")
def list_risk_prompts(
    session: SessionDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RiskPromptOut]:
    """风险提示 raised by red indicators in the caller's jurisdiction, newest first."""
    stmt = org.scoped(select(RiskPrompt), RiskPrompt.unit_path, actor).order_by(RiskPrompt.id.desc()).limit(limit)
    return [
        RiskPromptOut(
            id=p.id,
            indicator_id=p.indicator_id,
            unit_id=p.unit_id,
            period=p.period_key,
            value=p.value,
            text=p.text,
            created_at=p.created_at.isoformat(),
            status=p.status,
        )
        for p in session.scalars(stmt)
    ]


@router.post("/indicators/form", status_code=201)
def define_form_indicator(body: FormIndicatorIn, session: SessionDep, actor: ActorDep) -> FormIndicatorOut:
    """Define an indicator as an aggregate of an 一表通 report field over the viewer's units (leaders)."""
    ind = custom.define_form_indicator(
        session,
        actor,
        name=body.name,
        source={"template": body.template_id, "field": body.field, "agg": body.agg, "equals": body.equals},
        period=body.period,
        unit=body.unit,
        direction=body.direction,
        target=body.target,
    )
    return FormIndicatorOut(id=ind.id, code=ind.code, name=ind.name, source=ind.source, period=ind.period)
