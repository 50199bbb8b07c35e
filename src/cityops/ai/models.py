"""AI tables: trained model versions with their evaluation, per-category auto-dispatch thresholds, the
suggestion recorded for each received event (and whether it was auto-dispatched), and hot spots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class AiModel(Base):
    """One trained version of the category classifier: its serialized pipeline, what it learned from, and
    its evaluation on held-out closed events beside the keyword baseline. An admin chooses the live one."""

    __tablename__ = "ai_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="category")
    version: Mapped[str] = mapped_column(String(24), unique=True)
    trained_at: Mapped[datetime]
    trained_by: Mapped[str] = mapped_column(String(80))
    n_events: Mapped[int] = mapped_column(Integer)  # closed events learned from
    metrics: Mapped[Any] = mapped_column(JSONText, default=dict)  # top1, top3, macro_f1 and the baseline's
    owners: Mapped[Any] = mapped_column(JSONText, default=dict)  # category code -> most frequent final owner
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    live: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    component_id: Mapped[int | None] = mapped_column(Integer)  # its row in the capability-component registry
    note: Mapped[str] = mapped_column(Text, default="")


class AiThreshold(Base):
    """Auto-dispatch for one category: on when the live model's confidence reaches `threshold`."""

    __tablename__ = "ai_threshold"
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime]


class AiDecision(Base):
    """What the live model suggested for a received event, and whether it dispatched it by itself."""

    __tablename__ = "ai_decision"
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(24))
    category_code: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    auto_dispatched: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    at: Mapped[datetime]


class HotSpot(Base):
    """热点问题: similar reports about one thing in one community within a few days, with its 风险提示."""

    __tablename__ = "ai_hotspot"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    title: Mapped[str] = mapped_column(String(200))
    event_ids: Mapped[Any] = mapped_column(JSONText, default=list)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    prompt_text: Mapped[str] = mapped_column(Text, default="")  # the 风险提示 raised once for it
    prompted_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")
