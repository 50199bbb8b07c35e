"""待办 from the register: inspections due, hazards to rectify or accept, reassessments due (scoped)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.todo import TodoItem
from cityops.risks.models import Hazard, Inspection, RiskPoint

NameOf = Callable[[int], str]
# Hazard statuses that wait on someone, and the action that person takes (whose roles say who it is).
WAITING = (
    ("registered", "start"),
    ("returned", "start"),
    ("rectifying", "request_acceptance"),
    ("acceptance", "accept"),
)
ACCEPT_LABEL, RECTIFY_LABEL = "待验收隐患 / Hazard to accept", "待整改隐患 / Hazard to rectify"


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """Inspections due (the street's inspectors), hazards to rectify or accept, and points whose scheduled
    reassessment is due (dispatchers and leaders) — all in the actor's subtree."""
    from cityops.risks.service import unit_name

    names: dict[int, str] = {}

    def name_of(unit_id: int) -> str:
        if unit_id not in names:
            names[unit_id] = unit_name(session, unit_id)
        return names[unit_id]

    return [
        *_inspections_due(session, actor, now, name_of),
        *_hazards_waiting(session, actor, name_of),
        *_reviews_due(session, actor, now, name_of),
    ]


def _inspections_due(session: Session, actor: Actor, now: datetime, name_of: NameOf) -> list[TodoItem]:
    from cityops.risks import inspections

    if not actor.has(*inspections.INSPECTORS):
        return []
    rows = session.execute(
        select(Inspection, RiskPoint)
        .join(RiskPoint, RiskPoint.id == Inspection.point_id)
        .where(Inspection.status == "scheduled", inspections.visible(actor))
        .where(Inspection.due_at <= now + timedelta(days=7))
        .order_by(Inspection.due_at)
        .limit(200)
    ).all()
    return [
        TodoItem(
            kind="risk.inspection",
            kind_label="待巡查 / Inspection due",
            title=point.name,
            url=f"/risks/inspections/{insp.id}",
            unit_name=name_of(point.unit_id),
            due_at=clock.as_utc(insp.due_at),
            urgent=insp.overdue,
            ref=point.ref,
        )
        for insp, point in rows
    ]


def _hazards_waiting(session: Session, actor: Actor, name_of: NameOf) -> list[TodoItem]:
    from cityops.risks import hazards

    wanted = [status for status, action in WAITING if actor.has(*hazards.MAY[action])]
    if not wanted:
        return []
    rows = session.scalars(
        select(Hazard).where(Hazard.status.in_(wanted), hazards.visible(actor)).order_by(Hazard.deadline).limit(200)
    )
    return [
        TodoItem(
            kind="risk.hazard",
            kind_label=ACCEPT_LABEL if hz.status == "acceptance" else RECTIFY_LABEL,
            title=hz.title,
            url=f"/risks/hazards/{hz.id}",
            unit_name=name_of(hz.unit_id),
            due_at=clock.as_utc(hz.deadline) if hz.deadline else None,
            urgent=hz.grade == "major",
            ref=hz.ref,
        )
        for hz in rows
    ]


def _reviews_due(session: Session, actor: Actor, now: datetime, name_of: NameOf) -> list[TodoItem]:
    from cityops.risks.service import EDITORS, visible

    if not actor.has(*EDITORS):
        return []
    rows = session.scalars(
        select(RiskPoint)
        .where(visible(actor), RiskPoint.status == "active", RiskPoint.next_review_at <= now)
        .limit(100)
    )
    return [
        TodoItem(
            kind="risk.review",
            kind_label="风险复评到期 / Reassessment due",
            title=point.name,
            url=f"/risks/points/{point.id}",
            unit_name=name_of(point.unit_id),
            due_at=clock.as_utc(point.next_review_at),
            ref=point.ref,
        )
        for point in rows
    ]
