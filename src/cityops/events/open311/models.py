"""API keys for Open311 clients (civic apps and back-office systems)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base


class Open311Key(Base):
    __tablename__ = "open311_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # who holds it, e.g. "渝快办"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))  # shown in lists to tell keys apart
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    per_minute: Mapped[int] = mapped_column(Integer, default=120)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
