"""Worker side of the register: the inspection deadline sweep (overdue once, escalated once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cityops.risks import inspections


def sweep_inspections(session: Session, now: datetime) -> None:
    inspections.sweep(session, now)
