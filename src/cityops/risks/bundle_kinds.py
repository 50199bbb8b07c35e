"""Risk categories (with their inspection checklists and cycles) as app-bundle content."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler, in_use
from cityops.risks.models import RiskCategory, RiskPoint


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    codes = {k: v for k, v in session.execute(select(RiskCategory.id, RiskCategory.code)).all()}
    out: dict[str, Item] = {}
    for c in session.scalars(select(RiskCategory).where(RiskCategory.code.in_(keys))):
        item: Item = {"code": c.code, "name": c.name, "name_en": c.name_en, "parent": None, "sort": c.sort}
        if c.parent_id is not None:
            item |= {"parent": codes.get(c.parent_id), "cycle_days": c.cycle_days, "checklist": list(c.checklist)}
        out[c.code] = item
    return out


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    by_code = {c.code: c for c in session.scalars(select(RiskCategory))}
    for item in items:
        parent = by_code[item["parent"]] if item.get("parent") else None
        cat = by_code.get(item["code"])
        if cat is None:
            cat = by_code[item["code"]] = RiskCategory(code=item["code"], name=item["name"])
            session.add(cat)
        cat.name, cat.name_en, cat.sort = item["name"], item.get("name_en") or "", item.get("sort") or 0
        cat.parent_id = parent.id if parent else None
        cat.checklist = list(item.get("checklist") or [])
        cat.cycle_days = item.get("cycle_days") or 30
        if parent is None:
            session.flush()
    session.flush()


def dependents(session: Session, keys: list[str]) -> list[str]:
    says = "「{name}」风险点 {n} 个 / {n} risk points of {name}"
    on = RiskPoint.category_id == RiskCategory.id
    return in_use(session, keys, RiskCategory, RiskPoint, on, RiskPoint.status == "active", says=says)


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    cats = list(session.scalars(select(RiskCategory).where(RiskCategory.code.in_(keys))))
    for cat in sorted(cats, key=lambda c: c.parent_id is None):  # leaves first
        kept = session.scalar(select(RiskPoint.id).where(RiskPoint.category_id == cat.id).limit(1)) is not None
        kept = kept or session.scalar(select(RiskCategory.id).where(RiskCategory.parent_id == cat.id).limit(1))
        if not kept:  # a category retired points still name stays, for their history
            session.delete(cat)
            session.flush()
    audit.record(session, actor, "risks.categories_removed", ("risk_category", "*"), codes=keys)


def kinds() -> list[KindHandler]:
    return [KindHandler("risk_categories", "风险类别", "Risk categories", 30, read, write, dependents, remove)]
