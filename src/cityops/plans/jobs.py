"""Worker side of plans: start matching plans when events arrive or alarms rise (outbox handlers run in
the transaction that marks the message done, so each start happens once), the task deadline sweep
and the direct-report reminder sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cityops.core import jobs, outbox
from cityops.core.actor import system_actor
from cityops.events.models import Event
from cityops.plans import direct, runs
from cityops.plans import notify as _notify  # noqa: F401  (registers the webhook and SMS handlers)
from cityops.sensing.models import Alarm

PLANS = system_actor("system:plans")


@outbox.handler("event.received")
def on_event_received(session: Session, payload: dict[str, Any]) -> None:
    event = session.get(Event, payload["event_id"])
    if event is not None:
        runs.activate_for_event(session, PLANS, event)


@outbox.handler("sensing.alarm")
def on_alarm(session: Session, payload: dict[str, Any]) -> None:
    alarm = session.get(Alarm, payload["alarm_id"])
    if alarm is not None and alarm.event_id is not None:
        event = session.get(Event, alarm.event_id)
        if event is not None:
            runs.activate_for_event(session, PLANS, event)


@jobs.periodic("plans.sweep_tasks", every=timedelta(seconds=30))
def sweep_tasks(session: Session, now: datetime) -> None:
    runs.sweep(session, now)


@jobs.periodic("plans.remind_unacknowledged", every=timedelta(seconds=30))
def remind(session: Session, now: datetime) -> None:
    direct.sweep(session, now)
