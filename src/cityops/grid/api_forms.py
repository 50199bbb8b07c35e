"""一表通 API: shared fields, report templates (overlap shown, duplicates refused), base records and their
facts, each report read from the same facts, XLSX export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.schemas import InSchema, Schema
from cityops.grid import forms
from cityops.grid.form_models import FormField
from cityops.org import service as org
from cityops.org.models import OrgUnit

router = APIRouter(prefix="/api", tags=["grid"], route_class=TransactionalRoute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FieldOut(Schema):
    code: str
    name: str
    record_kind: str
    value_type: str
    owner: str


class NewFieldIn(InSchema):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=80)
    value_type: str = Field("text", pattern="^(text|number|date)$")


class PreviewIn(InSchema):
    record_kind: str = Field(pattern="^(person|house|place)$")
    names: list[str] = Field(max_length=100)


class TemplateIn(InSchema):
    name: str = Field(min_length=1, max_length=120)
    record_kind: str = Field(pattern="^(person|house|place)$")
    field_codes: list[str] = Field(default_factory=list, max_length=100)
    new_fields: list[NewFieldIn] = Field(default_factory=list, max_length=50)


class TemplateOut(Schema):
    id: int
    name: str
    record_kind: str
    requested_by: str
    reused_fields: int
    fields: list[FieldOut]
    created_at: datetime


class FieldOverlap(Schema):
    requested: str
    existing_code: str | None = Field(description="the shared field of that name, to reuse")
    owner: str | None


class FormReportRow(Schema):
    record_id: int
    label: str
    values: dict[str, Any] = Field(description="field code → value")


class FormReportOut(Schema):
    template: TemplateOut
    rows: list[FormReportRow]


class RecordIn(InSchema):
    community_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(pattern="^(person|house|place)$")
    label: str = Field(min_length=1, max_length=120)


class RecordOut(Schema):
    id: int
    community_id: int
    kind: str
    label: str
    facts: dict[str, str] = Field(default_factory=dict)


class FactsIn(InSchema):
    values: dict[str, Annotated[str, Field(max_length=1000)]] = Field(max_length=100)


def template_out(session: Any, t: Any) -> TemplateOut:
    fields = [FieldOut.model_validate(f) for f in forms.fields_of(session, t)]
    return TemplateOut.model_validate({**t.__dict__, "fields": fields})


@router.get("/form-fields")
def list_fields(
    session: SessionDep, _: ActorDep, record_kind: Annotated[str | None, Query(max_length=12)] = None
) -> list[FieldOut]:
    """The shared fields of 一表通 (each with its owner): reuse these before asking for new ones."""
    stmt = select(FormField).order_by(FormField.record_kind, FormField.id)
    if record_kind:
        stmt = stmt.where(FormField.record_kind == record_kind)
    return [FieldOut.model_validate(f) for f in session.scalars(stmt.limit(2000))]


@router.post("/form-templates/preview")
def preview(body: PreviewIn, session: SessionDep, _: ActorDep) -> list[FieldOverlap]:
    """Which of the fields a new report asks for exist already (reuse them)."""
    return [FieldOverlap(**o) for o in forms.overlap(session, body.record_kind, body.names)]


@router.post("/form-templates", status_code=201)
def create_template(body: TemplateIn, session: SessionDep, actor: ActorDep) -> TemplateOut:
    """A new report: existing fields by code plus new ones; a new field that exists already is refused (409)."""
    t = forms.create_template(
        session,
        actor,
        name=body.name,
        record_kind=body.record_kind,
        field_codes=list(body.field_codes),
        new_fields=[forms.NewField(f.code, f.name, f.value_type) for f in body.new_fields],
    )
    return template_out(session, t)


@router.get("/form-templates")
def list_templates(session: SessionDep, actor: ActorDep) -> list[TemplateOut]:
    return [template_out(session, t) for t in session.scalars(forms.list_templates(session, actor).limit(500))]


@router.get("/form-templates/{template_id}/report")
def read_report(
    template_id: int, session: SessionDep, actor: ActorDep, unit_id: Annotated[int | None, Query(ge=1)] = None
) -> FormReportOut:
    """The report: records of its kind in your subtree × its fields, from the shared facts."""
    t = forms.access_template(session, actor, template_id)
    within = org.access_unit(session, actor, unit_id) if unit_id else None
    rep = forms.report(session, actor, t, within=within)
    codes = [f.code for f in rep.fields]
    return FormReportOut(
        template=template_out(session, t),
        rows=[
            FormReportRow(record_id=r.id, label=r.label, values=dict(zip(codes, v, strict=True))) for r, v in rep.rows
        ],
    )


@router.get(
    "/form-templates/{template_id}/export.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}}
)
def export_report(template_id: int, session: SessionDep, actor: ActorDep) -> Response:
    t = forms.access_template(session, actor, template_id)
    rep = forms.report(session, actor, t)
    ids = {r.community_id for r, _ in rep.rows}
    names = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all()) if ids else {}
    return Response(
        forms.export_xlsx(rep, names),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="report-{t.id}.xlsx"'},
    )


def record_out(session: Any, r: Any) -> RecordOut:
    facts = forms.facts_of(session, [r.id])
    codes = (
        dict(session.execute(select(FormField.id, FormField.code).where(FormField.id.in_([k[1] for k in facts]))).all())
        if facts
        else {}
    )
    return RecordOut.model_validate({**r.__dict__, "facts": {codes[fid]: f.value for (_, fid), f in facts.items()}})


@router.post("/base-records", status_code=201)
def add_record(body: RecordIn, session: SessionDep, actor: ActorDep) -> RecordOut:
    community = org.access_unit(session, actor, body.community_id)
    return record_out(session, forms.add_record(session, actor, community, body.kind, body.label))


@router.get("/base-records")
def list_records(
    session: SessionDep, actor: ActorDep, kind: Annotated[str | None, Query(max_length=12)] = None
) -> list[RecordOut]:
    return [record_out(session, r) for r in session.scalars(forms.list_records(session, actor, kind=kind).limit(500))]


@router.get("/base-records/{record_id}")
def read_record(record_id: int, session: SessionDep, actor: ActorDep) -> RecordOut:
    return record_out(session, forms.access_record(session, actor, record_id))


@router.put("/base-records/{record_id}/facts")
def fill(record_id: int, body: FactsIn, session: SessionDep, actor: ActorDep) -> RecordOut:
    """Fill facts once; every report that selects these fields reads them."""
    record = forms.access_record(session, actor, record_id)
    forms.fill(session, actor, record, dict(body.values))
    return record_out(session, record)
