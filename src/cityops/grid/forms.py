"""一表通: collect a fact once, feed every report.

Fields are shared across reports (each with the department or unit that owns it). A department that
asks for a new report selects existing fields first: a new field whose name an existing field of the
same record kind already has is refused, naming the field to reuse, and the preview shows the overlap.
A grid worker fills the facts of a base record once; each report is the records of its kind in the
viewer's subtree × its fields, read from the same facts. Reports export as XLSX.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, xlsx
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.grid import service as grids
from cityops.grid.form_models import RECORD_KINDS, VALUE_TYPES, BaseRecord, FormField, RecordFact, ReportTemplate
from cityops.org import service as org
from cityops.org.models import Department, OrgLevel, OrgUnit

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
AUTHORS = (Role.handler, Role.leader, Role.dispatcher, Role.sysadmin)


class TemplateNotFound(NotFound):
    message = "报表模板不存在 / Report template not found."


class RecordNotFound(NotFound):
    message = "基础台账记录不存在 / Base record not found."


def _normal(name: str) -> str:
    return re.sub(r"[\s（）()：:、，,/]", "", name).lower()


# -- fields and templates ----------------------------------------------------------------------------------
@dataclass
class NewField:
    code: str
    name: str
    value_type: str = "text"


def overlap(session: Session, record_kind: str, names: list[str]) -> list[dict[str, Any]]:
    """For each requested field name, the existing field of the same record kind it duplicates (if any)."""
    existing = {
        _normal(f.name): f for f in session.scalars(select(FormField).where(FormField.record_kind == record_kind))
    }
    out = []
    for name in names:
        hit = existing.get(_normal(name))
        out.append({"requested": name, "existing_code": hit.code if hit else None, "owner": hit.owner if hit else None})
    return out


def _owner_of(session: Session, actor: Actor) -> tuple[str, int | None, OrgUnit]:
    if actor.department_id is not None:
        dept = session.get(Department, actor.department_id)
        unit = session.get(OrgUnit, dept.unit_id) if dept else None
        if dept is not None and unit is not None:
            return dept.short_name, dept.id, unit
    unit = session.get(OrgUnit, actor.unit_id) if actor.unit_id else None
    if unit is None:
        raise Forbidden("须属于某单位 / you need a unit", code="form.no_unit")
    return unit.name, None, unit


def create_template(
    session: Session,
    actor: Actor,
    *,
    name: str,
    record_kind: str,
    field_codes: list[str],
    new_fields: list[NewField],
) -> ReportTemplate:
    """A report from existing fields plus its own new ones; a new field duplicating an existing one is refused."""
    if not actor.has(*AUTHORS):
        raise Forbidden("无权发起报表 / you may not request a report", code="form.authors_only")
    if record_kind not in RECORD_KINDS:
        raise Invalid(
            "台账类型须为 person、house 或 place / record_kind", field="record_kind", code="grid.invalid_record_kind"
        )
    if not name.strip():
        raise Invalid("请填写报表名称 / name is required", field="name", code="grid.invalid_name")
    owner, dept_id, unit = _owner_of(session, actor)
    found = {f.code: f for f in session.scalars(select(FormField).where(FormField.code.in_(field_codes)))}
    unknown = [c for c in field_codes if c not in found or found[c].record_kind != record_kind]
    if unknown:
        raise Invalid(
            f"未知字段 {unknown[0]} / unknown field",
            field="field_codes",
            unknown=unknown,
            code="grid.invalid_field_codes",
        )
    dupes = [o for o in overlap(session, record_kind, [f.name for f in new_fields]) if o["existing_code"]]
    if dupes:
        raise Conflict(
            f"字段「{dupes[0]['requested']}」已有（{dupes[0]['existing_code']}，责任方{dupes[0]['owner']}），请复用 / "
            "reuse the existing field",
            code="form.field_exists",
            overlap=dupes,
        )
    now = clock.now()
    created = _new_fields(actor, session, record_kind, new_fields, owner, now)
    session.add_all(created)
    session.flush()
    template = ReportTemplate(
        name=name.strip()[:120],
        record_kind=record_kind,
        field_ids=[found[c].id for c in field_codes] + [f.id for f in created],
        requested_by=owner,
        department_id=dept_id,
        unit_id=unit.id,
        unit_path=unit.path,
        reused_fields=len(field_codes),
        active=True,
        created_at=now,
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "form.template_created", template, reused=len(field_codes), new=len(created))


def _new_fields(
    actor: Actor, session: Session, record_kind: str, new_fields: list[NewField], owner: str, now: datetime
) -> list[FormField]:
    """The report's own fields, each with a free code, a name and a known value type."""
    created = []
    for nf in new_fields:
        if not CODE.match(nf.code) or session.scalar(select(FormField.id).where(FormField.code == nf.code)):
            raise Invalid(
                f"字段代码 {nf.code} 无效或已被占用 / bad or taken field code",
                field="new_fields.code",
                code="grid.invalid_new_fields_code",
            )
        if nf.value_type not in VALUE_TYPES or not nf.name.strip():
            raise Invalid(
                "新字段须有名称，类型为 text/number/date / bad new field",
                field="new_fields",
                code="grid.invalid_new_fields",
            )
        created.append(
            FormField(
                code=nf.code,
                name=nf.name.strip()[:80],
                record_kind=record_kind,
                value_type=nf.value_type,
                owner=owner,
                created_at=now,
                created_by=actor.username,
            )
        )
    return created


def list_templates(session: Session, actor: Actor) -> AnySelect:
    """Templates the actor's units fill (requested at or above them) or that the actor's subtree requested."""
    ids = [int(p) for p in actor.unit_path.strip("/").split("/") if p]
    stmt = select(ReportTemplate).where(
        ReportTemplate.active.is_(True),
        ReportTemplate.unit_id.in_(ids) | org.in_subtree(ReportTemplate.unit_path, actor.unit_path),
    )
    if actor.department_id is not None:
        stmt = select(ReportTemplate).where(
            ReportTemplate.active.is_(True),
            ReportTemplate.unit_id.in_(ids)
            | org.in_subtree(ReportTemplate.unit_path, actor.unit_path)
            | (ReportTemplate.department_id == actor.department_id),
        )
    return stmt.order_by(ReportTemplate.id)


def access_template(session: Session, actor: Actor, template_id: int) -> ReportTemplate:
    found: ReportTemplate = one_or_raise(
        session,
        list_templates(session, actor).where(ReportTemplate.id == template_id),
        TemplateNotFound(template_id=template_id),
    )
    return found


def fields_of(session: Session, template: ReportTemplate) -> list[FormField]:
    by_id = {f.id: f for f in session.scalars(select(FormField).where(FormField.id.in_(template.field_ids or [])))}
    return [by_id[i] for i in template.field_ids or [] if i in by_id]


# -- records and facts ----------------------------------------------------------------------------------------
def add_record(
    session: Session, actor: Actor, community: OrgUnit, kind: str, label: str, *, demo: bool = False
) -> BaseRecord:
    if community.level != OrgLevel.community or not actor.sees_path(community.path):
        raise Invalid(
            "须为您辖区内的村社 / a community in your jurisdiction",
            field="community_id",
            code="grid.invalid_community_id",
        )
    if kind not in RECORD_KINDS:
        raise Invalid("台账类型须为 person、house 或 place / kind", field="kind", code="grid.invalid_kind")
    if not label.strip():
        raise Invalid("请填写名称 / label is required", field="label", code="grid.invalid_label")
    row = BaseRecord(
        community_id=community.id,
        unit_path=community.path,
        kind=kind,
        label=label.strip()[:120],
        is_demo=demo,
        created_at=clock.now(),
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "form.record_added", row, kind=kind)


def list_records(
    session: Session, actor: Actor, *, kind: str | None = None, within: OrgUnit | None = None
) -> AnySelect:
    stmt = org.scoped(select(BaseRecord), BaseRecord.unit_path, actor)
    if kind:
        stmt = stmt.where(BaseRecord.kind == kind)
    if within is not None:
        stmt = stmt.where(org.in_subtree(BaseRecord.unit_path, within.path))
    return stmt.order_by(BaseRecord.unit_path, BaseRecord.id)


def access_record(session: Session, actor: Actor, record_id: int) -> BaseRecord:
    return grids.get_in_subtree(session, actor, BaseRecord, record_id, RecordNotFound(record_id=record_id))


def facts_of(session: Session, record_ids: list[int]) -> dict[tuple[int, int], RecordFact]:
    if not record_ids:
        return {}
    rows = session.scalars(select(RecordFact).where(RecordFact.record_id.in_(record_ids)))
    return {(f.record_id, f.field_id): f for f in rows}


def _check_value(f: FormField, value: str) -> str:
    value = value.strip()[:1000]
    if f.value_type == "number" and value:
        try:
            float(value)
        except ValueError:
            raise Invalid(
                f"「{f.name}」须为数字 / {f.code} must be a number", field=f.code, code="form.not_a_number"
            ) from None
    if f.value_type == "date" and value and not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise Invalid(
            f"「{f.name}」须为日期 YYYY-MM-DD / {f.code} must be a date", field=f.code, code="form.not_a_date"
        )
    return value


def fill(session: Session, actor: Actor, record: BaseRecord, values: dict[str, str]) -> int:
    """Write the given facts of a record (each field once, whatever report asked); returns how many changed."""
    if not actor.has(Role.grid_worker, Role.dispatcher, Role.handler):
        raise Forbidden("无权填报 / you may not fill forms", code="form.fillers_only")
    fields = {f.code: f for f in session.scalars(select(FormField).where(FormField.code.in_(list(values))))}
    unknown = [c for c in values if c not in fields or fields[c].record_kind != record.kind]
    if unknown:
        raise Invalid(f"未知字段 {unknown[0]} / unknown field", field=unknown[0], code="form.unknown_field")
    checked = {c: _check_value(fields[c], v) for c, v in values.items()}
    have = facts_of(session, [record.id])
    now, changed = clock.now(), 0
    for code, value in checked.items():
        f = fields[code]
        fact = have.get((record.id, f.id))
        if fact is not None and fact.value == value:
            continue
        if fact is None:
            if not value:
                continue
            fact = RecordFact(record_id=record.id, field_id=f.id, value=value, filled_by=actor.username, filled_at=now)
            session.add(fact)
        else:
            fact.value, fact.filled_by, fact.filled_at = value, actor.username, now
        changed += 1
    session.flush()
    audit.record(session, actor, "form.filled", record, fields=sorted(checked), changed=changed)
    return changed


@dataclass
class Report:
    template: ReportTemplate
    fields: list[FormField]
    rows: list[tuple[BaseRecord, list[str]]] = field(default_factory=list)


def report(session: Session, actor: Actor, template: ReportTemplate, *, within: OrgUnit | None = None) -> Report:
    """The template's records (in the actor's subtree) × its fields, read from the shared facts."""
    fields = fields_of(session, template)
    records = list(session.scalars(list_records(session, actor, kind=template.record_kind, within=within).limit(5000)))
    facts = facts_of(session, [r.id for r in records])
    out = Report(template, fields)
    for r in records:
        out.rows.append((r, [facts[(r.id, f.id)].value if (r.id, f.id) in facts else "" for f in fields]))
    return out


def export_xlsx(rep: Report, unit_names: dict[int, str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = rep.template.name[:31]
    ws.append(["村社", RECORD_KINDS[rep.template.record_kind], *[f"{f.name}（{f.owner}）" for f in rep.fields]])
    for record, values in rep.rows:
        ws.append(xlsx.cells([unit_names.get(record.community_id, ""), record.label, *values]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
