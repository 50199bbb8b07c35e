"""Set-based closure of many events at once, for matters handled outside the per-event workflow: the
headless simulator's handlers and imported history. Each event gets its closing timeline row, the
counters move exactly as a closure through `act` moves them, and one audit entry covers the batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from cityops.core import audit, outbox
from cityops.core.actor import Actor
from cityops.core.db import bulk_insert
from cityops.events import metrics
from cityops.events.deadlines import log_row
from cityops.events.models import OPEN_STATUSES, Event, EventLog


@dataclass(frozen=True)
class Closure:
    event_id: int
    closed_at: datetime
    rating: str | None = None  # satisfied | basically_satisfied | unsatisfied


def close_many(session: Session, actor: Actor, closures: list[Closure], *, note: str) -> int:
    """Close the still-open events among `closures`; returns how many were closed."""
    if not closures:
        return 0
    by_id = {c.event_id: c for c in closures}
    rows = session.execute(
        select(
            Event.id,
            Event.unit_path,
            Event.category_id,
            Event.received_at,
            Event.ever_overdue,
            Event.overdue,
            Event.owner_department_id,
            Event.status,
        ).where(Event.id.in_(list(by_id)), Event.status.in_(OPEN_STATUSES))
    ).all()
    updates, logs = [], []
    for eid, path, category_id, received_at, ever_overdue, overdue, department_id, status in rows:
        c = by_id[eid]
        seconds = max(0.0, (c.closed_at - received_at).total_seconds())
        metrics.count(
            session,
            path,
            c.closed_at,
            category_id,
            closed=1,
            closed_on_time=int(not ever_overdue),
            handling_seconds=seconds,
        )
        metrics.count_department(session, department_id, c.closed_at, closed=1, closed_on_time=int(not ever_overdue))
        metrics.gauge(session, path, open=-1, overdue=-1 if overdue else 0)
        if c.rating is not None:
            metrics.count(
                session, path, c.closed_at, category_id, rated=1, satisfied=int(c.rating in metrics.SATISFIED)
            )
        updates.append(
            {"eid": eid, "closed_at": c.closed_at, "rating": c.rating, "rated_at": c.closed_at if c.rating else None}
        )
        logs.append(
            {
                **log_row(eid, c.closed_at, "close", note, {"on_time": not ever_overdue}, by=actor.username),
                "from_status": status,
                "to_status": "closed",
            }
        )
    if not updates:
        return 0
    table: Table = Event.__table__  # type: ignore[assignment]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("eid"))
        .values(
            status="closed",
            stage="none",
            due_at=None,
            warn_at=None,
            closed_at=bindparam("closed_at"),
            rating=bindparam("rating"),
            rated_at=bindparam("rated_at"),
            version=table.c.version + 1,
        ),
        updates,
    )
    bulk_insert(session, EventLog, logs)
    audit.record(
        session,
        actor,
        "event.closed_in_bulk",
        None,
        count=len(updates),
        note=note,
        first=updates[0]["eid"],
        last=updates[-1]["eid"],
    )
    outbox.add(session, "event.closed_in_bulk", count=len(updates))
    return len(updates)
