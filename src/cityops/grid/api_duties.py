"""API of the 三级职责任务清单 (items, XLSX import/export) and 职责准入 (request, approve, reject)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from pydantic import Field

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.core.schemas import InSchema, Schema
from cityops.grid import duties, duty_edits

router = APIRouter(prefix="/api", tags=["grid"], route_class=TransactionalRoute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX = 5 * 1024 * 1024


class DutyItemIn(InSchema):
    level: str = Field(max_length=12, description="street|community|grid (镇街/村社/网格)")
    list_kind: str = Field(max_length=12, description="basic|cooperative|withdrawn (基本履职/配合履职/上级部门收回)")
    name: str = Field(min_length=1, max_length=200)
    lead_department: str = Field("", max_length=32, description="department code or short name, e.g. 城市管理")
    legal_basis: str = Field("", max_length=2000)
    categories: list[str] = Field(default_factory=list, max_length=50)


class DutyItemOut(Schema):
    id: int
    unit_id: int
    level: str
    list_kind: str
    name: str
    lead_department_code: str | None
    legal_basis: str
    category_codes: list[str]
    source: str


class DutyImportOut(Schema):
    added: int
    errors: list[dict[str, Any]] = Field(description="each refused row: its number and reason")


class AdmissionIn(DutyItemIn):
    reason: str = Field(min_length=1, max_length=2000)


class AdmissionOut(Schema):
    id: int
    unit_id: int
    department_id: int
    level: str
    list_kind: str
    name: str
    legal_basis: str
    category_codes: list[str]
    reason: str
    status: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    item_id: int | None


class DecisionIn(InSchema):
    note: str = Field("", max_length=2000)


def _item(body: DutyItemIn) -> duties.ItemInput:
    return duties.ItemInput(
        body.level, body.list_kind, body.name, body.lead_department, body.legal_basis, list(body.categories)
    )


@router.get("/duty-items")
def list_items(session: SessionDep, actor: ActorDep) -> list[DutyItemOut]:
    """The duty list items that apply to you (your district's, or the districts below you)."""
    return [DutyItemOut.model_validate(i) for i in session.scalars(duties.list_items(session, actor).limit(2000))]


@router.post("/duty-items", status_code=201)
def add_item(body: DutyItemIn, session: SessionDep, actor: ActorDep) -> DutyItemOut:
    """Add an item to your district's list (district leaders and sysadmins); routing uses it at once."""
    district = duties.require_district(session, actor)
    return DutyItemOut.model_validate(duties.add_item(session, actor, district, _item(body), source="manual"))


class RetireIn(InSchema):
    reason: str = Field("", max_length=500)


@router.put("/duty-items/{item_id}")
def edit_item(item_id: int, body: DutyItemIn, session: SessionDep, actor: ActorDep) -> DutyItemOut:
    """Change an item of your district's list; its routing follows (a category it drops is released)."""
    item = duty_edits.access_item(session, actor, item_id)
    return DutyItemOut.model_validate(duty_edits.edit_item(session, actor, item, _item(body)))


@router.post("/duty-items/{item_id}/retire")
def retire_item(item_id: int, body: RetireIn, session: SessionDep, actor: ActorDep) -> DutyItemOut:
    """Retire an item: it leaves the list and routing (kept for the record; audited)."""
    item = duty_edits.access_item(session, actor, item_id)
    return DutyItemOut.model_validate(duty_edits.retire_item(session, actor, item, body.reason))


@router.post("/duty-items/import")
def import_items(session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()]) -> DutyImportOut:
    """Import an XLSX (层级, 清单, 事项名称, 牵头部门, 法律依据, 关联事项分类); bad rows reported by row."""
    data = file.file.read(MAX_XLSX + 1)
    if len(data) > MAX_XLSX:
        raise Invalid("文件过大 / the file is too large", code="file.too_large", field="file")
    added, errors = duties.import_xlsx(session, actor, data)
    return DutyImportOut(added=added, errors=errors)


@router.get("/duty-items/export.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_items(session: SessionDep, actor: ActorDep) -> Response:
    return Response(
        duties.export_xlsx(session, actor),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="duty-list.xlsx"'},
    )


@router.post("/duty-admissions", status_code=201)
def request_admission(body: AdmissionIn, session: SessionDep, actor: ActorDep) -> AdmissionOut:
    """职责准入: your department asks the district to push a new duty down to streets, communities or grids."""
    data = _item(body)
    return AdmissionOut.model_validate(duties.request_admission(session, actor, data, body.reason))


@router.get("/duty-admissions")
def list_admissions(session: SessionDep, actor: ActorDep) -> list[AdmissionOut]:
    rows = session.scalars(duties.list_admissions(session, actor).limit(500))
    return [AdmissionOut.model_validate(r) for r in rows]


@router.get("/duty-admissions/{admission_id}")
def read_admission(admission_id: int, session: SessionDep, actor: ActorDep) -> AdmissionOut:
    return AdmissionOut.model_validate(duties.access_admission(session, actor, admission_id))


@router.post("/duty-admissions/{admission_id}/approve")
def approve(admission_id: int, body: DecisionIn, session: SessionDep, actor: ActorDep) -> AdmissionOut:
    """The district approves: the item joins its list and routing (audited)."""
    row = duties.access_admission(session, actor, admission_id)
    return AdmissionOut.model_validate(duties.decide(session, actor, row, approve=True, note=body.note))


@router.post("/duty-admissions/{admission_id}/reject")
def reject(admission_id: int, body: DecisionIn, session: SessionDep, actor: ActorDep) -> AdmissionOut:
    """The district rejects, with a reason (audited)."""
    row = duties.access_admission(session, actor, admission_id)
    return AdmissionOut.model_validate(duties.decide(session, actor, row, approve=False, note=body.note))
