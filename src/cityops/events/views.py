"""Read models: events as API objects, shared by the routes and the pages (personal data masked unless
an audited reveal asks for it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.pii import mask_text, mask_value
from cityops.events import catalogue, routing, service
from cityops.events.models import Event
from cityops.events.schemas import EventRead
from cityops.org.models import Department, OrgUnit


def _unit_names(session: Session, ctx: routing.RoutingContext, ids: set[int]) -> dict[int, str]:
    names = {i: ctx.units[i].name for i in ids if i in ctx.units}
    if missing := ids - names.keys():
        names.update(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(missing))).tuples())
    return names


def _department_names(session: Session, ctx: routing.RoutingContext, ids: set[int]) -> dict[int, str]:
    names = {i: ctx.department_names[i] for i in ids if i in ctx.department_names}
    if missing := ids - names.keys():
        names.update(session.execute(select(Department.id, Department.name).where(Department.id.in_(missing))).tuples())
    return names


def read_events(session: Session, events: list[Event], *, reveal: bool = False) -> list[EventRead]:
    """Events as API objects, with names from the per-process org view (a query only for a name it lacks:
    a unit retired since, or one made by another process in the last seconds)."""
    cats = catalogue.view(session).by_id
    ctx = routing.context(session)
    units = _unit_names(session, ctx, {e.unit_id for e in events} | {e.owner_unit_id for e in events})
    depts = _department_names(session, ctx, {e.owner_department_id for e in events if e.owner_department_id})
    out = []
    for e in events:
        r = EventRead.model_validate(e)
        cat = cats.get(e.category_id)
        r.category, r.category_name = (cat.code, cat.name) if cat else ("", "")
        r.category_name_en = cat.name_en if cat else ""
        r.unit_name = units.get(e.unit_id, "")
        r.owner_name = depts.get(e.owner_department_id or 0) or f"{units.get(e.owner_unit_id, '')}治理中心"
        r.reporter_phone = e.reporter_phone if reveal else service.mask_phone(e.reporter_phone)
        if not reveal:  # ID card and mobile numbers typed into the text are personal data too
            r.title, r.description, r.address = mask_text(r.title), mask_text(r.description), mask_text(r.address)
            r.attributes = mask_value(r.attributes)
        out.append(r)
    return out
