"""Read models: events as API objects, shared by the routes and the pages (personal data masked unless
an audited reveal asks for it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.pii import mask_text, mask_value
from cityops.events import catalogue, routing, service
from cityops.events.models import Event
from cityops.events.schemas import EventRead
from cityops.org.models import Department, OrgUnit


def _names(session: Session, known: Mapping[int, str], ids: set[int], id_col: Any, name_col: Any) -> dict[int, str]:
    """Names for `ids` from the per-process view, querying only for those it lacks."""
    names = {i: known[i] for i in ids if i in known}
    if missing := ids - names.keys():
        # Pairs, not the Result itself: a Result has keys() (its columns), so dict.update took it for a mapping.
        names.update((i, n) for i, n in session.execute(select(id_col, name_col).where(id_col.in_(missing))))
    return names


def _place(ctx: routing.RoutingContext, unit_id: int) -> str:
    """The unit's chain below the city in words: "第1网格" alone tells nothing (every community has one)."""
    unit = ctx.units.get(unit_id)
    if unit is None:
        return ""
    return " › ".join(u.name for u in ctx.chain(unit)[1:]) or unit.name


def read_events(session: Session, events: list[Event], *, reveal: bool = False) -> list[EventRead]:
    """Events as API objects, with names from the per-process org view (a query only for a name it lacks:
    a unit retired since, or one made by another process in the last seconds)."""
    cats = catalogue.view(session).by_id
    ctx = routing.context(session)
    unit_ids = {e.unit_id for e in events} | {e.owner_unit_id for e in events}
    units = _names(session, ctx.unit_names, unit_ids, OrgUnit.id, OrgUnit.name)
    dept_ids = {e.owner_department_id for e in events if e.owner_department_id}
    depts = _names(session, ctx.department_names, dept_ids, Department.id, Department.name)
    out = []
    for e in events:
        r = EventRead.model_validate(e)
        cat = cats.get(e.category_id)
        r.category, r.category_name = (cat.code, cat.name) if cat else ("", "")
        r.category_name_en = cat.name_en if cat else ""
        r.unit_name = units.get(e.unit_id, "")
        r.unit_place = _place(ctx, e.unit_id) or r.unit_name
        r.owner_name = depts.get(e.owner_department_id or 0) or f"{units.get(e.owner_unit_id, '')}治理中心"
        r.reporter_phone = e.reporter_phone if reveal else service.mask_phone(e.reporter_phone)
        if not reveal:  # ID card and mobile numbers typed into the text are personal data too
            r.title, r.description, r.address = mask_text(r.title), mask_text(r.description), mask_text(r.address)
            r.attributes = mask_value(r.attributes)
        out.append(r)
    return out
