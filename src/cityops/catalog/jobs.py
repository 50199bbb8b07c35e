"""The data-request deadline sweep runs with the worker: an unanswered request past its deadline is
marked overdue and escalated once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def request_deadlines(session: Session, now: datetime) -> None:
    from cityops.catalog.requests import sweep_overdue

    sweep_overdue(session, now)
