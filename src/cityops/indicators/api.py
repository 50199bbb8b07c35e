"""Boards, runways and indicators: the tree with status colours, an indicator's history with its
provenance, drill-down by unit, and risk prompts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.schemas import InSchema
from cityops.indicators import custom
from cityops.indicators.boards import boards_for, indicator_detail
from cityops.indicators.models import RiskPrompt
from cityops.org import service as org

router = APIRouter(prefix="/api", tags=["indicators"], route_class=TransactionalRoute)


@router.get("/boards")
def list_boards(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[int | None, Query(description="default: your own unit")] = None,
) -> list[dict[str, Any]]:
    """Boards → runways → indicators with the latest value and status colour for a unit."""
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else (actor.unit_id or 0))
    return boards_for(session, actor, unit)


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


class FormIndicatorIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    template_id: int = Field(ge=1, le=2**31 - 1)
    field: str = Field(min_length=1, max_length=64, description="a field code of the template")
    agg: str = Field("count", max_length=10, description="count | count_eq | sum | avg | min | max")
    equals: str = Field("", max_length=80, description="the value counted by count_eq")
    period: str = Field("now", max_length=8, description="now (current facts) | today | 30d | month | year")
    unit: str = Field("个", max_length=16)
    direction: str = Field("higher", max_length=8)
    target: float | None = None


@router.post("/indicators/form", status_code=201)
def define_form_indicator(body: FormIndicatorIn, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
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
    return {"id": ind.id, "code": ind.code, "name": ind.name, "source": ind.source, "period": ind.period}
