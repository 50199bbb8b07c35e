"""Read models: events as API objects, shared by the routes and the pages (personal data masked unless
an audited reveal asks for it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.pii import mask_text, mask_value
from cityops.events import catalogue, service
from cityops.events.models import Event
from cityops.events.schemas import EventRead
from cityops.org.models import Department, OrgUnit


def read_events(session: Session, events: list[Event], *, reveal: bool = False) -> list[EventRead]:
    """Events as API objects, with names resolved in three queries for the whole page."""
    cats = catalogue.view(session).by_id
    unit_ids = {e.unit_id for e in events} | {e.owner_unit_id for e in events}
    units = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))).all())
    dept_ids = {e.owner_department_id for e in events if e.owner_department_id}
    depts = (
        dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(dept_ids))).all())
        if dept_ids
        else {}
    )
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
