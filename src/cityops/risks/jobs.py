"""Worker side of the register: the inspection deadline sweep (overdue once, escalated once).

`signals.on_alarm` answers `sensing.alarm` and `signals.on_event` answers `event.received`; they are not
registered here because today each outbox topic has one handler and plans holds both topics.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cityops.core import jobs
from cityops.risks import inspections


@jobs.periodic("risks.sweep_inspections", every=timedelta(minutes=1))
def sweep_inspections(session: Session, now: datetime) -> None:
    inspections.sweep(session, now)
