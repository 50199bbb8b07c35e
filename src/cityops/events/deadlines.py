"""The deadline sweep: warn at 80% of a stage's time, mark overdue at its deadline, and escalate the
overdue event to the upper-level centre for supervision (督办).

Each (event, stage) fires each deadline once: the flag is set by a conditional UPDATE … RETURNING,
so a second sweep (or a second worker, or a restarted one) finds nothing left to fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cityops.core import audit, outbox
from cityops.core.actor import system_actor
from cityops.core.db import bulk_insert
from cityops.events import metrics, timeline
from cityops.events.models import Event, EventLog, Status
from cityops.org.models import CENTRE_LEVELS, OrgUnit

CLOCKED = (Status.reported, Status.accepted, Status.dispatched, Status.signed, Status.in_progress, Status.reported_back)
STAGE_LABEL = {"accept": "受理派遣", "sign": "签收", "handle": "处置", "verify": "核查"}
SWEEPER = system_actor("system:deadlines")


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    escalated: list[int] = field(default_factory=list)


def _centres(session: Session) -> dict[int, tuple[str, int | None, str]]:
    """unit id -> (name, parent id, level) for centre levels; small (≈1,100 rows) and cached per sweep."""
    rows = session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, OrgUnit.level).where(OrgUnit.level.in_(CENTRE_LEVELS))
    )
    return {uid: (name, parent, level) for uid, name, parent, level in rows}


def sweep(session: Session, now: datetime, *, limit: int = 20_000) -> SweepResult:
    result = SweepResult()
    logs: list[dict[str, Any]] = []
    _warn(session, now, limit, logs, result)
    _escalate(session, now, limit, logs, result)
    if logs:
        bulk_insert(session, EventLog, logs)
    return result


def _warn(session: Session, now: datetime, limit: int, logs: list[dict[str, Any]], result: SweepResult) -> None:
    """Events past 80% of their stage's time, not warned yet: warn once."""
    warn_rows = session.execute(
        update(Event)
        .where(
            Event.id.in_(
                select(Event.id)
                .where(
                    Event.status.in_(CLOCKED), Event.warn_at <= now, Event.warned.is_(False), Event.overdue.is_(False)
                )
                .limit(limit)
            ),
            Event.warned.is_(False),
        )
        .values(warned=True, version=Event.version + 1)
        .returning(Event.id, Event.ref, Event.stage, Event.due_at, Event.unit_path)
        .execution_options(synchronize_session=False)
    ).all()
    warnings: list[dict[str, Any]] = []
    for eid, ref, stage, due, path in warn_rows:
        label = STAGE_LABEL.get(stage, stage)
        note = f"{label}环节即将超时（时限 {due:%Y-%m-%d %H:%M} UTC） / the {stage} deadline is near"
        logs.append(log_row(eid, now, "warn", note))
        warnings.append({"event_id": eid, "ref": ref, "stage": stage, "unit_path": path})
    outbox.add_many(session, "event.deadline_warning", warnings)
    result.warned = len(warn_rows)


def _escalate(session: Session, now: datetime, limit: int, logs: list[dict[str, Any]], result: SweepResult) -> None:
    """Events past their stage's deadline, not overdue yet: mark overdue and escalate to the centre above
    for supervision (督办), once."""
    due_rows = session.execute(
        update(Event)
        .where(
            Event.id.in_(
                select(Event.id)
                .where(Event.status.in_(CLOCKED), Event.due_at <= now, Event.overdue.is_(False))
                .limit(limit)
            ),
            Event.overdue.is_(False),
        )
        .values(overdue=True, ever_overdue=True, escalation_level=Event.escalation_level + 1, version=Event.version + 1)
        .returning(
            Event.id,
            Event.ref,
            Event.stage,
            Event.unit_path,
            Event.category_id,
            Event.dispatcher_unit_id,
            Event.owner_unit_id,
            Event.is_drill,
        )
        .execution_options(synchronize_session=False)
    ).all()
    centres = _centres(session) if due_rows else {}
    supervisors: dict[int, list[int]] = {}
    entries: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    for eid, ref, stage, path, category_id, dispatcher_id, owner_id, drill in due_rows:
        upper_id = _supervisor(centres, dispatcher_id or owner_id)
        supervisors.setdefault(upper_id, []).append(eid)
        upper_name = centres.get(upper_id, ("",))[0]
        note = (
            f"{STAGE_LABEL.get(stage, stage)}环节已超时，升级至{upper_name}治理中心督办 / "
            f"{stage} deadline passed: escalated to {upper_name} for supervision"
        )
        logs.append(log_row(eid, now, "overdue", note, {"stage": stage, "supervised_by_unit_id": upper_id}))
        entries.append(
            audit.entry(SWEEPER, "event.overdue", ("event", eid), at=now, stage=stage, escalated_to=upper_id)
        )
        escalations.append(
            {"event_id": eid, "ref": ref, "to_unit_id": upper_id, "reason": "overdue"}
            | {"stage": stage, "unit_path": path, "drill": drill}
        )
        metrics.count(session, path, now, category_id, went_overdue=1)
        metrics.gauge(session, path, overdue=1)
        result.escalated.append(eid)
    audit.record_many(session, entries)
    outbox.add_many(session, "event.escalated", escalations)
    for upper_id, ids in supervisors.items():
        session.execute(
            update(Event)
            .where(Event.id.in_(ids))
            .values(supervised_by_unit_id=upper_id)
            .execution_options(synchronize_session=False)
        )
    result.overdue = len(due_rows)


def _supervisor(centres: dict[int, tuple[str, int | None, str]], centre_id: int) -> int:
    """The centre above the one that holds the event (the city centre supervises itself)."""
    _, parent, _ = centres.get(centre_id, ("", None, ""))
    return parent if parent is not None and parent in centres else centre_id


def log_row(
    event_id: int, at: datetime, action: str, note: str, data: dict[str, Any] | None = None, *, by: str = ""
) -> dict[str, Any]:
    """A timeline row written by the platform (sweeps, bulk closures): not shown to the citizen."""
    return timeline.row(event_id, at, action, note, data=data, actor_name=by or SWEEPER.username)
