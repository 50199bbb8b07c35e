"""Worker side of the register: the inspection deadline sweep (overdue once, escalated once) and the
catch-up of alarms on linked devices.

`signals.on_alarm` answers `sensing.alarm` and `signals.on_event` answers `event.received`; they are not
registered here because today each outbox topic has one handler and plans holds both topics. Until they
are, `risks.catch_up_alarms` polls for alarms no linked point has answered (idempotent per point and alarm).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cityops.core import jobs
from cityops.risks import inspections, signals


@jobs.periodic("risks.sweep_inspections", every=timedelta(minutes=1))
def sweep_inspections(session: Session, now: datetime) -> None:
    inspections.sweep(session, now)


@jobs.periodic("risks.catch_up_alarms", every=timedelta(seconds=30))
def catch_up_alarms(session: Session, now: datetime) -> None:
    signals.catch_up(session)
