"""一表通 shared fields (字段) as app-bundle content: an application declares the facts it needs about a
community's people, houses and places once, and every report template selects from them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler, in_use
from cityops.core.errors import Invalid
from cityops.grid.form_models import RECORD_KINDS, VALUE_TYPES, FormField, RecordFact, ReportTemplate

FIELDS = ("name", "record_kind", "value_type", "owner")


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    rows = session.scalars(select(FormField).where(FormField.code.in_(keys)))
    return {f.code: {"code": f.code, **{k: getattr(f, k) for k in FIELDS}} for f in rows}


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    have = {f.code: f for f in session.scalars(select(FormField).where(FormField.code.in_([i["code"] for i in items])))}
    for item in items:
        if item.get("record_kind") not in RECORD_KINDS or item.get("value_type", "text") not in VALUE_TYPES:
            raise Invalid(
                f"字段 {item['code']} 的 record_kind 应为 person/house/place，value_type 应为 text/number/date",
                field="form_fields",
                code="grid.invalid_bundle_field",
            )
        row = have.get(item["code"])
        if row is None:
            row = FormField(code=item["code"], created_at=clock.now(), created_by=actor.username)
            session.add(row)
        row.name, row.record_kind = item["name"], item["record_kind"]
        row.value_type, row.owner = item.get("value_type") or "text", item.get("owner") or ""
    session.flush()


def dependents(session: Session, keys: list[str]) -> list[str]:
    says = "一表通字段「{name}」已填 {n} 条 / {n} facts filled for {name}"
    return in_use(session, keys, FormField, RecordFact, RecordFact.field_id == FormField.id, says=says)


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    used: set[int] = set()
    for t in session.scalars(select(ReportTemplate)):
        used |= set(t.field_ids or [])
    for f in session.scalars(select(FormField).where(FormField.code.in_(keys))):
        if f.id not in used:  # a field a report template selects stays with the template
            session.delete(f)
    session.flush()
    audit.record(session, actor, "grid.form_fields_removed", ("form_field", "*"), codes=keys)


def kinds() -> list[KindHandler]:
    return [KindHandler("form_fields", "一表通字段", "一表通 shared fields", 80, read, write, dependents, remove)]
