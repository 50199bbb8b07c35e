"""待办 from the register: inspections due, hazards to rectify or accept, reassessments due (scoped)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.todo import TodoItem
from cityops.risks.models import RiskPoint


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """Inspections due (the street's inspectors), hazards to rectify or accept, and points whose scheduled
    reassessment is due (dispatchers and leaders) — all in the actor's subtree."""
    from cityops.risks import hazards, inspections
    from cityops.risks.models import Hazard, Inspection
    from cityops.risks.service import EDITORS, unit_name, visible

    items: list[TodoItem] = []
    names: dict[int, str] = {}

    def name_of(unit_id: int) -> str:
        if unit_id not in names:
            names[unit_id] = unit_name(session, unit_id)
        return names[unit_id]

    if actor.has(*inspections.INSPECTORS):
        rows = session.execute(
            select(Inspection, RiskPoint)
            .join(RiskPoint, RiskPoint.id == Inspection.point_id)
            .where(
                Inspection.status == "scheduled",
                inspections.visible(actor),
                Inspection.due_at <= now + timedelta(days=7),
            )
            .order_by(Inspection.due_at)
            .limit(200)
        ).all()
        for insp, point in rows:
            items.append(
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
            )
    wanted = [
        s
        for s, roles in (
            ("registered", "start"),
            ("returned", "start"),
            ("rectifying", "request_acceptance"),
            ("acceptance", "accept"),
        )
        if actor.has(*hazards.MAY[roles])
    ]
    if wanted:
        for hz in session.scalars(
            select(Hazard).where(Hazard.status.in_(wanted), hazards.visible(actor)).order_by(Hazard.deadline).limit(200)
        ):
            label = "待验收隐患 / Hazard to accept" if hz.status == "acceptance" else "待整改隐患 / Hazard to rectify"
            items.append(
                TodoItem(
                    kind="risk.hazard",
                    kind_label=label,
                    title=hz.title,
                    url=f"/risks/hazards/{hz.id}",
                    unit_name=name_of(hz.unit_id),
                    due_at=clock.as_utc(hz.deadline) if hz.deadline else None,
                    urgent=hz.grade == "major",
                    ref=hz.ref,
                )
            )
    if actor.has(*EDITORS):
        for point in session.scalars(
            select(RiskPoint)
            .where(visible(actor), RiskPoint.status == "active", RiskPoint.next_review_at <= now)
            .limit(100)
        ):
            items.append(
                TodoItem(
                    kind="risk.review",
                    kind_label="风险复评到期 / Reassessment due",
                    title=point.name,
                    url=f"/risks/points/{point.id}",
                    unit_name=name_of(point.unit_id),
                    due_at=clock.as_utc(point.next_review_at),
                    ref=point.ref,
                )
            )
    return items
