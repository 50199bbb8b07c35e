"""Indicators a leader defines over an 一表通 report field (source `form`, offered by the grid domain):
e.g. "独居老人数" = count of the template field 是否独居 equal to 是, over the viewer's units."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.errors import Invalid
from cityops.grid import figures
from cityops.indicators.models import Board, Indicator, Runway
from cityops.indicators.service import owner_level_ok
from cityops.org import service as org

FORM_PERIODS = ("now", "today", "30d", "month", "year")
FORM_RUNWAY, FORM_BOARD = "one_form", "grassroots"


def define_form_indicator(
    session: Session,
    actor: Actor,
    *,
    name: str,
    source: dict[str, Any],
    period: str = "now",
    unit: str = "个",
    direction: str = "higher",
    target: float | None = None,
) -> Indicator:
    """A new indicator on the 一表通 runway, owned by the actor's unit (a city, district or street)."""
    template, field = figures.check_form_source(session, actor, source)
    owner = org.access_unit(session, actor, actor.unit_id or 0)
    if not owner_level_ok(owner):
        raise Invalid(
            "指标由市、区县或街道定义 / a centre unit defines indicators", field="unit", code="indicator.owner"
        )
    if not name.strip():
        raise Invalid("请填写指标名称 / name is required", field="name", code="indicator.invalid_name")
    if period not in FORM_PERIODS or direction not in ("higher", "lower"):
        raise Invalid("统计期或方向无效 / bad period or direction", field="period", code="indicator.invalid_period")
    runway = _form_runway(session)
    clean = {
        "type": "form",
        "template": template.id,
        "field": field.code,
        "agg": str(source["agg"]),
        "equals": str(source.get("equals", "")).strip()[:80],
    }
    ind = Indicator(
        runway_id=runway.id,
        code=f"form_{template.id}_{field.code}_{secrets.token_hex(3)}"[:60],
        name=name.strip()[:80],
        name_en="",
        kind="vital_sign" if target is None else "kpi",
        unit=unit.strip()[:16] or "个",
        period=period,
        direction=direction,
        target=target,
        green_score=1.0,
        amber_score=0.9,
        source=clean,
        owner_unit_id=owner.id,
        drill_level=None,
    )
    return audit.add_new(session, actor, "indicators.defined", ind, source=clean, owner=owner.id)


def _form_runway(session: Session) -> Runway:
    """The 一表通 runway on the 基层智治 board, made the first time a leader defines a form indicator."""
    runway = session.scalars(select(Runway).where(Runway.code == FORM_RUNWAY)).one_or_none()
    if runway is not None:
        return runway
    board = session.scalars(select(Board).where(Board.code == FORM_BOARD)).one_or_none()
    if board is None:
        board = Board(code=FORM_BOARD, name="基层智治", sort=6)
        session.add(board)
        session.flush()
    runway = Runway(board_id=board.id, code=FORM_RUNWAY, name="一表通", sort=1)
    session.add(runway)
    session.flush()
    return runway
