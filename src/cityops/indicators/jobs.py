"""Indicator values are recomputed by the worker every few minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cityops.core import jobs
from cityops.indicators import service


@jobs.periodic("indicators.compute", every=timedelta(minutes=5))
def compute(session: Session, now: datetime) -> None:
    service.compute(session, now)
