"""三级职责任务清单 (镇街 / 村社 / 网格) as data, and 职责准入.

A district keeps its list: items per level in three lists — 基本履职 (the level handles it), 配合履职 (a
lead department is responsible, the level helps), 上级部门收回 (the department took it back) — with
the legal basis and the event categories each covers. Routing uses them: an active item writes the
district's duty for each linked category (events.catalogue.set_duty), so an event of that category in
the district goes to the street centre (基本履职 at any level: the street dispatches, the note names
the community or grid that acts) or to the lead department (配合履职, 上级部门收回), and the routing
reason names the item.

A department that wants to push a new duty down files a 职责准入 request; only the district (a leader
or sysadmin of that district) approves or rejects it, and both are audited. XLSX import and export.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, xlsx
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.db import AnySelect
from cityops.core.errors import CityOpsError, Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events import catalogue
from cityops.events.models import Category
from cityops.grid.models import DUTY_LEVEL_NAMES, DUTY_LIST_NAMES, DutyAdmission, DutyItem, DutyList
from cityops.org import service as org
from cityops.org.defaults import DEPARTMENTS
from cityops.org.models import Department, OrgLevel, OrgUnit

DEPARTMENT_CODES = {d.code for d in DEPARTMENTS}
DEPARTMENT_BY_NAME = {**{d.short_name: d.code for d in DEPARTMENTS}, **{d.code: d.code for d in DEPARTMENTS}}
DEPARTMENT_NAMES = {d.code: d.short_name for d in DEPARTMENTS}
LEVEL_BY_LABEL = {**{v: k for k, v in DUTY_LEVEL_NAMES.items()}, **{k: k for k in DUTY_LEVEL_NAMES}}
LIST_BY_LABEL = {**{v: k for k, v in DUTY_LIST_NAMES.items()}, **{k: k for k in DUTY_LIST_NAMES}}
XLSX_HEADER = ("层级", "清单", "事项名称", "牵头部门", "法律依据", "关联事项分类")


class DutyItemNotFound(NotFound):
    message = "职责事项不存在 / Duty item not found."


class AdmissionNotFound(NotFound):
    message = "职责准入申请不存在 / Duty admission request not found."


def _district_of(session: Session, actor: Actor) -> OrgUnit:
    """The district whose list the actor keeps or decides on: their own unit, or the one above a street."""
    unit = session.get(OrgUnit, actor.unit_id) if actor.unit_id else None
    while unit is not None and unit.level not in (OrgLevel.district,):
        unit = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    if unit is None:
        raise Forbidden("职责清单由区县管理 / duty lists are kept by a district", code="duty.district_only")
    return unit


def require_district(session: Session, actor: Actor) -> OrgUnit:
    """Leaders and sysadmins of a district (not of a street below it) keep its list and decide admissions."""
    if not actor.has(Role.leader, Role.sysadmin) or actor.unit_level != OrgLevel.district:
        raise Forbidden("仅区县领导或管理员可审定职责清单 / only the district decides", code="duty.district_only")
    return _district_of(session, actor)


@dataclass
class ItemInput:
    level: str
    list_kind: str
    name: str
    lead_department: str = ""
    legal_basis: str = ""
    categories: list[str] = field(default_factory=list)


def checked(session: Session, data: ItemInput) -> tuple[str, str, str | None, list[str]]:
    level = LEVEL_BY_LABEL.get(data.level.strip())
    if level is None:
        raise Invalid(
            "层级须为镇街、村社或网格 / level must be 镇街, 村社 or 网格", field="level", code="grid.invalid_level"
        )
    kind = LIST_BY_LABEL.get(data.list_kind.strip())
    if kind is None:
        raise Invalid(
            "清单须为基本履职、配合履职或上级部门收回 / unknown list", field="list_kind", code="grid.invalid_list_kind"
        )
    if not data.name.strip():
        raise Invalid("请填写事项名称 / name is required", field="name", code="grid.invalid_name")
    dept = DEPARTMENT_BY_NAME.get(data.lead_department.strip()) if data.lead_department.strip() else None
    if data.lead_department.strip() and dept is None:
        raise Invalid(
            f"未知牵头部门 {data.lead_department} / unknown lead department",
            field="lead_department",
            code="grid.invalid_lead_department",
        )
    if kind != DutyList.basic and dept is None:
        raise Invalid(
            "配合履职和收回事项须写明牵头部门 / a lead department is required",
            field="lead_department",
            code="grid.invalid_lead_department",
        )
    codes = [c.strip() for c in data.categories if c.strip()]
    known = set(session.scalars(select(Category.code).where(Category.code.in_(codes)))) if codes else set()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid(
            f"未知事项分类 {unknown[0]} / unknown category",
            field="categories",
            unknown=unknown,
            code="grid.invalid_categories",
        )
    return level, kind, dept, codes


def route_note(item: DutyItem) -> str:
    text = f"三级职责清单·{DUTY_LEVEL_NAMES[item.level]}·{DUTY_LIST_NAMES[item.list_kind]}「{item.name}」"
    if item.lead_department_code:
        text += f"，牵头部门{DEPARTMENT_NAMES.get(item.lead_department_code, item.lead_department_code)}"
    return text[:200]


def apply_to_routing(session: Session, district: OrgUnit, item: DutyItem, *, only: list[str] | None = None) -> None:
    """Write the district's duty for each linked category (the platform applies what the district decided)."""
    platform = system_actor("system:duty-list", unit_path=district.path, unit_id=district.id)
    to_department = item.list_kind in (DutyList.cooperative, DutyList.withdrawn)
    for code in only if only is not None else item.category_codes or []:
        category = session.scalars(select(Category).where(Category.code == code)).one()
        catalogue.set_duty(
            session,
            platform,
            category=category,
            unit=district,
            level=OrgLevel.district if to_department else OrgLevel.street,
            assignee="department" if to_department else "centre",
            department_code=item.lead_department_code if to_department else None,
            note=route_note(item),
        )


def add_item(session: Session, actor: Actor, district: OrgUnit, data: ItemInput, *, source: str) -> DutyItem:
    level, kind, dept, codes = checked(session, data)
    item = DutyItem(
        unit_id=district.id,
        unit_path=district.path,
        level=level,
        list_kind=kind,
        name=data.name.strip()[:200],
        lead_department_code=dept,
        legal_basis=data.legal_basis.strip()[:2000],
        category_codes=codes,
        active=True,
        source=source,
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(item)
    session.flush()
    apply_to_routing(session, district, item)
    audit.record(session, actor, "duty.item_added", item, level=level, list=kind, categories=codes, source=source)
    return item


def list_items(session: Session, actor: Actor) -> AnySelect:
    """Items of the lists that apply to the actor: their district's (seen from a street or grid too)."""
    # A street or grid sees the list of the district above it; a district sees its own (and the city all).
    ids = [int(p) for p in actor.unit_path.strip("/").split("/") if p]
    stmt = select(DutyItem).where(
        DutyItem.active.is_(True),
        org.in_subtree(DutyItem.unit_path, actor.unit_path) | DutyItem.unit_id.in_(ids),
    )
    return stmt.order_by(DutyItem.unit_id, DutyItem.level, DutyItem.list_kind, DutyItem.id)


def import_xlsx(session: Session, actor: Actor, data: bytes) -> tuple[int, list[dict[str, Any]]]:
    """Rows 层级, 清单, 事项名称, 牵头部门, 法律依据, 关联事项分类 (codes separated by 、 or ,)."""
    district = require_district(session, actor)
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        raise Invalid(
            "不是有效的 XLSX 文件 / the file is not an XLSX workbook", field="file", code="grid.invalid_file"
        ) from None
    if sheet is None:
        raise Invalid("工作簿没有工作表 / the workbook has no sheet", field="file", code="grid.invalid_file")
    rows = list(sheet.iter_rows(values_only=True))
    if not rows or tuple(str(c or "").strip() for c in rows[0][:6]) != XLSX_HEADER:
        raise Invalid(
            f"首行须为：{'、'.join(XLSX_HEADER)} / the first row must be the header",
            field="file",
            code="grid.invalid_file",
        )
    added, errors = 0, []
    for i, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() if c is not None else "" for c in (*row, *[None] * 6)[:6]]
        if not any(cells):
            continue
        cats = cells[5].replace("、", ",").replace("，", ",").split(",")
        item = ItemInput(cells[0], cells[1], cells[2], cells[3], cells[4], cats)
        try:
            with session.begin_nested():
                add_item(session, actor, district, item, source="import")
            added += 1
        except CityOpsError as exc:
            errors.append({"row": i, "field": str(exc.data.get("field", "")), "reason": exc.detail})
    return added, errors


def export_xlsx(session: Session, actor: Actor) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "三级职责任务清单"
    ws.append(list(XLSX_HEADER))
    for item in session.scalars(list_items(session, actor)):
        ws.append(
            xlsx.cells(
                [
                    DUTY_LEVEL_NAMES[item.level],
                    DUTY_LIST_NAMES[item.list_kind],
                    item.name,
                    DEPARTMENT_NAMES.get(item.lead_department_code or "", ""),
                    item.legal_basis,
                    "、".join(item.category_codes or []),
                ]
            )
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- 职责准入 ---------------------------------------------------------------------------------------------------
def request_admission(session: Session, actor: Actor, data: ItemInput, reason: str) -> DutyAdmission:
    """A department (its handler or leader) asks its district to push a new duty down."""
    if actor.department_id is None or not actor.has(Role.handler, Role.leader):
        raise Forbidden("职责准入由部门提出 / a department files this request", code="duty.department_only")
    dept = session.get(Department, actor.department_id)
    district = session.get(OrgUnit, dept.unit_id) if dept else None
    if dept is None or district is None or district.level != OrgLevel.district:
        raise Forbidden(
            "职责准入由区县部门提出 / a district department files this request", code="duty.department_only"
        )
    if not reason.strip():
        raise Invalid("请说明下放理由 / a reason is required", field="reason", code="grid.invalid_reason")
    level, kind, _, codes = checked(session, ItemInput(**{**data.__dict__, "lead_department": dept.code}))
    row = DutyAdmission(
        unit_id=district.id,
        unit_path=district.path,
        department_id=dept.id,
        requested_by=actor.user_id,
        level=level,
        list_kind=kind,
        name=data.name.strip()[:200],
        legal_basis=data.legal_basis.strip()[:2000],
        category_codes=codes,
        reason=reason.strip()[:2000],
        status="pending",
        requested_at=clock.now(),
    )
    return audit.add_new(session, actor, "duty.admission_requested", row, department=dept.code, name=row.name)


def list_admissions(session: Session, actor: Actor) -> AnySelect:
    seen = org.in_subtree_or_department(DutyAdmission.unit_path, DutyAdmission.department_id, actor)
    return select(DutyAdmission).where(seen).order_by(DutyAdmission.requested_at.desc(), DutyAdmission.id.desc())


def access_admission(session: Session, actor: Actor, admission_id: int) -> DutyAdmission:
    found: DutyAdmission = one_or_raise(
        session,
        list_admissions(session, actor).where(DutyAdmission.id == admission_id),
        AdmissionNotFound(admission_id=admission_id),
    )
    return found


def decide(session: Session, actor: Actor, row: DutyAdmission, *, approve: bool, note: str) -> DutyAdmission:
    """The district approves (the item joins its list and routing) or rejects (with a reason)."""
    district = require_district(session, actor)
    if district.id != row.unit_id:
        raise AdmissionNotFound(admission_id=row.id)
    if row.status != "pending":
        raise Conflict("该申请已审定 / this request was already decided", code="duty.admission_decided")
    if not approve and not note.strip():
        raise Invalid("驳回须写明理由 / a rejection needs a reason", field="note", code="grid.invalid_note")
    row.status, row.decided_by, row.decided_at = ("approved" if approve else "rejected"), actor.username, clock.now()
    row.decision_note = note.strip()[:2000]
    if approve:
        dept = session.get(Department, row.department_id)
        item = add_item(
            session,
            actor,
            district,
            ItemInput(
                row.level, row.list_kind, row.name, dept.code if dept else "", row.legal_basis, row.category_codes
            ),
            source="admission",
        )
        row.item_id = item.id
    audit.record(session, actor, f"duty.admission_{row.status}", row, note=row.decision_note, item_id=row.item_id)
    return row
