"""Editing and retiring items of a district's 三级职责任务清单 (the district decides, as for admissions).

An edit rewrites the item and its routing; a category the item no longer covers, or every category of a
retired item, loses the district duty the item wrote — unless another active item of the list covers it,
which then routes it. Both are audited (`duty.item_edited`, `duty.item_retired`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.errors import Conflict, one_or_raise
from cityops.events import catalogue
from cityops.events.models import Category, Duty
from cityops.grid import duties
from cityops.grid.models import DutyItem
from cityops.org.models import OrgUnit


def access_item(session: Session, actor: Actor, item_id: int) -> DutyItem:
    """An item of a list that applies to the actor (404 otherwise, also for retired ones)."""
    found: DutyItem = one_or_raise(
        session,
        duties.list_items(session, actor).where(DutyItem.id == item_id),
        duties.DutyItemNotFound(item_id=item_id),
    )
    return found


def _own_list(session: Session, actor: Actor, item: DutyItem) -> OrgUnit:
    district = duties.require_district(session, actor)
    if district.id != item.unit_id:
        raise duties.DutyItemNotFound(item_id=item.id)
    return district


def _release(session: Session, district: OrgUnit, item: DutyItem, codes: list[str]) -> None:
    """Drop the district duty `item` wrote for `codes`; another active item covering a code routes it."""
    note = duties.route_note(item)
    for code in codes:
        other = next(
            (
                o
                for o in session.scalars(
                    select(DutyItem).where(
                        DutyItem.unit_id == district.id, DutyItem.active.is_(True), DutyItem.id != item.id
                    )
                )
                if code in (o.category_codes or [])
            ),
            None,
        )
        if other is not None:
            duties.apply_to_routing(session, district, other, only=[code])
            continue
        category = session.scalars(select(Category).where(Category.code == code)).one_or_none()
        if category is None:
            continue
        duty = session.scalars(
            select(Duty).where(Duty.category_id == category.id, Duty.unit_id == district.id, Duty.note == note)
        ).one_or_none()
        if duty is not None:
            session.delete(duty)
    session.flush()
    catalogue.invalidate()


def edit_item(session: Session, actor: Actor, item: DutyItem, data: duties.ItemInput) -> DutyItem:
    district = _own_list(session, actor, item)
    level, kind, dept, codes = duties.checked(session, data)
    dropped = [c for c in item.category_codes or [] if c not in codes]
    _release(session, district, item, dropped)
    before = {"level": item.level, "list": item.list_kind, "name": item.name, "categories": item.category_codes}
    item.level, item.list_kind, item.name = level, kind, data.name.strip()[:200]
    item.lead_department_code, item.legal_basis = dept, data.legal_basis.strip()[:2000]
    item.category_codes = codes
    session.flush()
    duties.apply_to_routing(session, district, item)
    audit.record(session, actor, "duty.item_edited", item, before=before, categories=codes)
    return item


def retire_item(session: Session, actor: Actor, item: DutyItem, reason: str) -> DutyItem:
    """The item leaves the list and routing (kept, inactive, for the record)."""
    district = _own_list(session, actor, item)
    if not item.active:
        raise Conflict("该事项已停用 / the item is already retired", code="duty.item_retired")
    item.active = False
    session.flush()
    _release(session, district, item, list(item.category_codes or []))
    audit.record(session, actor, "duty.item_retired", item, reason=reason.strip()[:500])
    return item
