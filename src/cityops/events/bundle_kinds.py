"""The event catalogue as app-bundle content: categories (families and the categories under them) and the
default duty of each category. A district's or street's own duty rows (unit set) are the city's, never a
bundle's, so an upgrade leaves them alone."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler
from cityops.events import catalogue
from cityops.events.models import OPEN_STATUSES, Category, Duty, Event, Severity


def _chunks(keys: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def _category_item(c: Category, parents: dict[int, str]) -> Item:
    if c.parent_id is None:
        return {"code": c.code, "name": c.name, "name_en": c.name_en, "parent": None}
    return {
        "code": c.code,
        "name": c.name,
        "name_en": c.name_en,
        "parent": parents.get(c.parent_id),
        "severity": c.default_severity,
        "deadlines": c.deadlines or {},
        "keywords": list(c.keywords or []),
        "required": list(c.required_fields or []),
    }


def read_categories(session: Session, keys: list[str]) -> dict[str, Item]:
    parents = {
        k: v for k, v in session.execute(select(Category.id, Category.code).where(Category.parent_id.is_(None))).all()
    }
    out: dict[str, Item] = {}
    for part in _chunks(keys):
        for c in session.scalars(select(Category).where(Category.code.in_(part), Category.active.is_(True))):
            out[c.code] = _category_item(c, parents)
    return out


def write_categories(session: Session, actor: Actor, items: list[Item]) -> None:
    """Families come before their categories in a bundle, so a category finds its family here."""
    by_code = {c.code: c for c in session.scalars(select(Category))}
    for item in items:
        if item.get("deadlines"):
            catalogue.validate_deadlines(item["deadlines"])
        parent = by_code[item["parent"]] if item.get("parent") else None
        cat = by_code.get(item["code"])
        if cat is None:
            cat = by_code[item["code"]] = Category(code=item["code"], name=item["name"], family=item["name"])
            session.add(cat)
        cat.name, cat.name_en, cat.active = item["name"], item.get("name_en") or "", True
        cat.parent_id = parent.id if parent else None
        cat.family = parent.name if parent else item["name"]
        cat.default_severity = item.get("severity") or Severity.normal
        cat.deadlines = item.get("deadlines") or {}
        cat.keywords = list(item.get("keywords") or [])
        cat.required_fields = list(item.get("required") or [])
        catalogue.validate_field_specs(cat.required_fields, field=f"categories.{item['code']}.required")
        if parent is None:
            session.flush()  # its id is the parent_id of the categories that follow
    session.flush()
    catalogue.invalidate()


def category_dependents(session: Session, keys: list[str]) -> list[str]:
    found: list[str] = []
    for part in _chunks(keys):
        rows = session.execute(
            select(Category.name, func.count(Event.id), func.min(Event.ref))
            .join(Event, Event.category_id == Category.id)
            .where(Category.code.in_(part), Event.status.in_(OPEN_STATUSES))
            .group_by(Category.name)
        ).all()
        found += [f"「{name}」未办结事件 {n} 件（如 {ref}） / {n} open events of {name}" for name, n, ref in rows]
    return found


def remove_categories(session: Session, actor: Actor, keys: list[str]) -> None:
    """Categories no event ever used are deleted; the others retire (inactive) so closed events keep their
    category. Children go before their families."""
    cats = [c for part in _chunks(keys) for c in session.scalars(select(Category).where(Category.code.in_(part)))]
    for cat in sorted(cats, key=lambda c: c.parent_id is None):
        used = session.scalar(select(Event.id).where(Event.category_id == cat.id).limit(1)) is not None
        children = session.scalar(select(Category.id).where(Category.parent_id == cat.id).limit(1)) is not None
        if used or children:
            cat.active = False
        else:
            for duty in session.scalars(select(Duty).where(Duty.category_id == cat.id)):
                session.delete(duty)
            session.delete(cat)
        session.flush()
    audit.record(session, actor, "events.categories_removed", ("category", "*"), codes=keys[:50], count=len(keys))
    catalogue.invalidate()


def read_duties(session: Session, keys: list[str]) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for part in _chunks(keys):
        rows = session.execute(
            select(Category.code, Duty)
            .join(Duty, Duty.category_id == Category.id)
            .where(Category.code.in_(part), Duty.unit_id.is_(None))
        ).all()
        for code, d in rows:
            out[code] = {"code": code, "level": d.level, "assignee": d.assignee, "department": d.department_code}
    return out


def write_duties(session: Session, actor: Actor, items: list[Item]) -> None:
    cats = {code: cid for cid, code in session.execute(select(Category.id, Category.code)).all()}
    duties = {d.category_id: d for d in session.scalars(select(Duty).where(Duty.unit_id.is_(None)))}
    for item in items:
        cat_id = cats[item["code"]]
        duty = duties.get(cat_id)
        if duty is None:
            duty = Duty(category_id=cat_id, unit_id=None, note=item.get("note") or "默认职责 / default duty")
            session.add(duty)
        duty.level, duty.assignee = item["level"], item["assignee"]
        duty.department_code = item.get("department") if item["assignee"] == "department" else None
    session.flush()
    catalogue.invalidate()


def remove_duties(session: Session, actor: Actor, keys: list[str]) -> None:
    for part in _chunks(keys):
        ids = select(Category.id).where(Category.code.in_(part))
        for duty in session.scalars(select(Duty).where(Duty.category_id.in_(ids), Duty.unit_id.is_(None))):
            session.delete(duty)
    session.flush()
    catalogue.invalidate()


def _no_dependents(session: Session, keys: list[str]) -> list[str]:
    return []


def kinds() -> list[KindHandler]:
    return [
        KindHandler(
            "categories",
            "事项分类",
            "Event categories",
            10,
            read_categories,
            write_categories,
            category_dependents,
            remove_categories,
        ),
        KindHandler(
            "duties", "职责清单（默认）", "Default duties", 20, read_duties, write_duties, _no_dependents, remove_duties
        ),
    ]
