"""A hazard that needs other departments becomes an event through the events intake; each links the other
(the hazard keeps `event_id`, the event carries `attributes.risk_hazard`, later hazard actions are noted)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Invalid
from cityops.org.models import OrgUnit
from cityops.risks.hazards import log_change
from cityops.risks.models import Hazard, RiskCategory, RiskPoint


def to_event(session: Session, actor: Actor, hazard: Hazard, *, category: str | None, note: str = "") -> int:
    """A hazard that needs other departments becomes an event through the events intake; each links the other."""
    from cityops.events.intake import IntakeItem, intake_one
    from cityops.events.models import Source

    if hazard.event_id is not None:
        raise Conflict(
            "该隐患已转为事件 / the hazard already has its event", code="risk.already_event", event_id=hazard.event_id
        )
    if hazard.status == "closed":
        raise Conflict("隐患已销号 / the hazard is closed", code="risk.hazard_closed")
    point = session.get(RiskPoint, hazard.point_id) if hazard.point_id else None
    if category is None and point is not None:
        from cityops.risks.defaults import EVENT_CATEGORY

        cat = session.get(RiskCategory, point.category_id)
        category = EVENT_CATEGORY.get(cat.code if cat else "")
    if not category:
        raise Invalid("请选择事件类别 / choose the event category", field="category", code="risk.invalid_category")
    unit = session.get(OrgUnit, hazard.unit_id)
    source = Source.grid_worker if actor.has(Role.grid_worker) and not actor.has(Role.dispatcher) else Source.department
    result = intake_one(
        session,
        actor,
        IntakeItem(
            category=category,
            title=f"隐患 {hazard.ref}：{hazard.title}"[:200],
            description="\n".join(t for t in (hazard.title, hazard.description.strip(), note.strip()) if t)[:4000],
            source=source if not actor.is_system else Source.department,
            severity="high" if hazard.grade == "major" else None,
            address=point.address if point else "",
            lon=point.lon if point else None,
            lat=point.lat if point else None,
            unit_code=unit.code if unit is not None else None,  # located by the hazard's own unit
            attributes={"risk_hazard": hazard.ref},
            idempotency_key=f"risk-hazard-{hazard.id}",
            is_drill=hazard.is_demo,
        ),
    )
    if result.error is not None or result.event_id is None:
        raise Invalid(
            f"转事件失败 / the event was refused: {(result.error or {}).get('reason', '')}",
            field=(result.error or {}).get("field", "category"),
            code="risk.event_refused",
        )
    hazard.event_id = result.event_id
    hazard.version += 1
    log_change(
        session,
        hazard,
        actor,
        "to_event",
        hazard.status,
        hazard.status,
        f"转为事件 {result.ref}，协调相关部门 / became event",
    )
    audit.record(session, actor, "risk.hazard_to_event", hazard, event_id=result.event_id)
    return result.event_id
