"""Events follow the org tree when units move or merge (the events domain's answer to org's unit-change
hook): cached paths are rewritten, the open/overdue gauges move from the old centres to the new ones,
and every open event that moved gets a timeline entry saying so."""

from __future__ import annotations

import json

from sqlalchemy import Boolean, Integer, String, Text, case, func, insert, literal, select, update
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.hooks import UnitChanged
from cityops.events import metrics
from cityops.events.models import OPEN_STATUSES, Event, EventLog
from cityops.org.service import in_subtree, replace_unit, rewrite_paths


def on_unit_changed(session: Session, actor: Actor, change: UnitChanged) -> None:
    for old, new in change.moves:
        _move_gauges(session, old, new)
        _log_moved(session, actor, old, new, change.kind)
        _rewrite(session, old, new)
    for retired_id, successor_id, _ in change.merged:
        for col in (Event.unit_id, Event.owner_unit_id, Event.dispatcher_unit_id, Event.supervised_by_unit_id):
            replace_unit(session, col, retired_id, successor_id)


def _move_gauges(session: Session, old_prefix: str, new_prefix: str) -> None:
    """Gauges are keyed by the centres above an event's location: take the moved open events off the old
    centres and put them on the new ones (a shared centre, e.g. the city, nets to zero)."""
    rows = session.execute(
        select(Event.unit_path, func.count(), func.sum(case((Event.overdue, 1), else_=0)))
        .where(in_subtree(Event.unit_path, old_prefix), Event.status.in_(OPEN_STATUSES))
        .group_by(Event.unit_path)
    ).all()
    for path, n_open, n_overdue in rows:
        moved_path = new_prefix + path[len(old_prefix) :]
        metrics.gauge(session, path, open=-int(n_open), overdue=-int(n_overdue or 0))
        metrics.gauge(session, moved_path, open=int(n_open), overdue=int(n_overdue or 0))


def _log_moved(session: Session, actor: Actor, old_prefix: str, new_prefix: str, kind: str) -> None:
    """One timeline row per open event that moved, in one INSERT … SELECT (a district can hold many)."""
    data = json.dumps({"kind": kind, "old_path": old_prefix, "new_path": new_prefix})
    moved = select(
        Event.id,
        literal(clock.now()),
        literal("unit_changed", String),
        literal(actor.user_id, Integer),
        literal(actor.username, String),
        literal("", String),
        Event.status,
        Event.status,
        literal("所在区划调整 / The unit this event lies in was changed by the org tree", Text),
        literal(data, Text),
        literal(False, Boolean),
    ).where(in_subtree(Event.unit_path, old_prefix), Event.status.in_(OPEN_STATUSES))
    columns = ["event_id", "at", "action", "actor_id", "actor_name", "actor_unit"]
    columns += ["from_status", "to_status", "note", "data", "public"]
    session.execute(insert(EventLog).from_select(columns, moved))


def _rewrite(session: Session, old_prefix: str, new_prefix: str) -> None:
    # A concurrent writer holding the old version must get a 409, not overwrite the new path.
    session.execute(
        update(Event)
        .where(in_subtree(Event.unit_path, old_prefix))
        .values(version=Event.version + 1)
        .execution_options(synchronize_session=False)
    )
    rewrite_paths(session, Event.unit_path, old_prefix, new_prefix)
    rewrite_paths(session, Event.owner_path, old_prefix, new_prefix)
