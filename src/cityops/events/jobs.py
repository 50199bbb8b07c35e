"""Periodic work of the events domain, run by `cityops worker`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cityops.core import jobs
from cityops.events import deadlines


@jobs.periodic("events.sweep_deadlines", every=timedelta(seconds=30))
def sweep_deadlines(session: Session, now: datetime) -> None:
    deadlines.sweep(session, now)
