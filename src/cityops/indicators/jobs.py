"""Indicator values are recomputed by the worker every few minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cityops.indicators import service


def compute(session: Session, now: datetime) -> None:
    service.compute(session, now)
