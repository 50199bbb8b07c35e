"""改类: a dispatcher (or the platform's AI, on a confident suggestion) corrects an event's category before
it is dispatched; the event is routed again by the new category's duty list and the received counters move
to the new category, so figures per category stay a count of what the events really are."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.errors import Conflict, Invalid
from cityops.events import catalogue, metrics, routing
from cityops.events.models import Event

if TYPE_CHECKING:
    from cityops.events.service import ActionInput


def recategorize(session: Session, actor: Actor, event: Event, body: ActionInput, now: datetime) -> dict[str, Any]:
    if not body.category:
        raise Invalid("改类须指定新的事项分类 / category is required", field="category", code="event.invalid_category")
    view = catalogue.view(session)
    new = view.category(body.category)
    old = view.by_id.get(event.category_id)
    if new.id == event.category_id:
        raise Conflict("事件已是该分类 / the event already has this category", code="event.same_category")
    ctx = routing.context(session)
    unit = ctx.units.get(event.unit_id)
    if unit is not None:
        route = routing.route(ctx, view, new, unit)
        event.dispatcher_unit_id = route.dispatcher_unit_id
        event.owner_unit_id, event.owner_path = route.owner_unit_id, route.owner_path
        event.owner_department_id = route.owner_department_id
        event.route_reason = route.reason[:400]
    metrics.count(session, event.unit_path, event.received_at, event.category_id, received=-1)
    metrics.count(session, event.unit_path, event.received_at, new.id, received=1)
    event.category_id = new.id
    return {
        "from": old.code if old else None,
        "from_name": old.name if old else "",
        "to": new.code,
        "to_name": new.name,
        "owner": route.owner_name if unit is not None else "",
    }
