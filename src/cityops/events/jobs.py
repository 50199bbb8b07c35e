"""Periodic work of the events domain, run by `cityops worker`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cityops.events import deadlines


def sweep_deadlines(session: Session, now: datetime) -> None:
    deadlines.sweep(session, now)
