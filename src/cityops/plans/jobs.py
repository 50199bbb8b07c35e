"""Worker side of plans: start matching plans when events arrive or alarms rise (outbox handlers run in
the transaction that marks the message done, so each start happens once), the task deadline sweep
and the direct-report reminder sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cityops.core.actor import system_actor
from cityops.events.models import Event
from cityops.plans import activation, direct, runs

PLANS = system_actor("system:plans")


def on_event_received(session: Session, payload: dict[str, Any]) -> None:
    event = session.get(Event, payload["event_id"])
    if event is not None:
        activation.activate_for_event(session, PLANS, event)


def on_event_noted(session: Session, payload: dict[str, Any]) -> None:
    """An alarm raised or escalated on an event (sensing notes it on the timeline): plans whose trigger
    names the device type, or needs the higher severity, may start now."""
    if payload.get("action") != "alarm":
        return
    event = session.get(Event, payload["event_id"])
    if event is not None:
        activation.activate_for_event(session, PLANS, event)


def sweep_tasks(session: Session, now: datetime) -> None:
    runs.sweep(session, now)


def remind(session: Session, now: datetime) -> None:
    direct.sweep(session, now)
