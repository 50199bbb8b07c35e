"""Boards → runways (→ sub-runways) → indicators, their values per unit and period, and risk prompts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class Board(Base):
    __tablename__ = "board"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Runway(Base):
    __tablename__ = "runway"
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("runway.id"))  # a sub-runway's runway
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Indicator(Base):
    __tablename__ = "indicator"
    id: Mapped[int] = mapped_column(primary_key=True)
    runway_id: Mapped[int] = mapped_column(ForeignKey("runway.id"), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    kind: Mapped[str] = mapped_column(String(12))  # kpi | vital_sign
    unit: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(8))  # hour | day | month | year
    direction: Mapped[str] = mapped_column(String(8))  # higher | lower (is better)
    target: Mapped[float | None] = mapped_column(Float)
    green_score: Mapped[float] = mapped_column(Float, default=1.0)
    amber_score: Mapped[float] = mapped_column(Float, default=0.9)
    source: Mapped[Any] = mapped_column(JSONText)  # {"type": "events"|"alarms"|"readings"|"external", …}
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    drill_level: Mapped[str | None] = mapped_column(String(12))  # also compute for units at this level below


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period_key", name="uq_indicator_value_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period_key: Mapped[str] = mapped_column(String(16))  # 2026-03-02, 2026-03, 2026, 2026-03-02T10
    value: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(4), default=">=")
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(8))  # green | amber | red | none
    computed_at: Mapped[datetime]
    provenance: Mapped[Any] = mapped_column(JSONText, default=dict)  # {"target": {doc, quote}, "value": {…}}


class RiskPrompt(Base):
    """风险提示: raised once when an indicator's value for a unit and period turns red."""

    __tablename__ = "risk_prompt"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period_key", name="uq_risk_prompt_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    period_key: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="open")
