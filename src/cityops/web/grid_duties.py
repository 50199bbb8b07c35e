"""三级职责任务清单 and 职责准入 in the browser: the district's list per level and list (read by its
streets too), XLSX import with per-row errors and export, an item's edit and retirement (the district
only); a department's 职责准入 request and the district's approval or rejection with a reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.events.models import Category
from cityops.grid import duties, duty_edits
from cityops.grid.models import DUTY_LEVEL_NAMES, DUTY_LIST_NAMES, DutyItem
from cityops.org.models import Department, OrgLevel
from cityops.web.deps import PageActor, PageForm, PageFormContext
from cityops.web.pages import change_or_show, import_or_show, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
MAX_XLSX = 5 * 1024 * 1024
STATUS_NAMES = {"pending": "待审定", "approved": "已批准", "rejected": "已驳回"}
FIELD_NAMES = {
    "level": "层级",
    "list_kind": "清单",
    "name": "事项名称",
    "lead_department": "牵头部门",
    "categories": "关联事项分类",
    "file": "文件",
}
NAMES = {
    "levels": DUTY_LEVEL_NAMES,
    "lists": DUTY_LIST_NAMES,
    "departments": duties.DEPARTMENT_NAMES,
    "statuses": STATUS_NAMES,
    "fields": FIELD_NAMES,
}


def _may_decide(actor: Actor) -> bool:
    return actor.has(Role.leader, Role.sysadmin) and actor.unit_level == OrgLevel.district


def _duties_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    level: str = "",
    kind: str = "",
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    stmt = duties.list_items(session, actor)
    if level in DUTY_LEVEL_NAMES:
        stmt = stmt.where(DutyItem.level == level)
    if kind in DUTY_LIST_NAMES:
        stmt = stmt.where(DutyItem.list_kind == kind)
    return render(
        request,
        "grid_duties.html",
        status_code=status_code,
        actor=actor,
        items=list(session.scalars(stmt.limit(1000))),
        level=level,
        kind=kind,
        may_edit=_may_decide(actor),
        duty_names=NAMES,
        category_names={c: n for c, n in session.execute(select(Category.code, Category.name))},
        **extra,
    )


@router.get("/grid/duties", response_class=HTMLResponse)
def duties_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    level: Annotated[str, Query(max_length=12)] = "",
    kind: Annotated[str, Query(max_length=12)] = "",
    edit: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    editing = duty_edits.access_item(session, actor, edit) if edit else None
    return _duties_page(request, session, actor, level=level, kind=kind, editing=editing)


@router.post("/grid/duties/import", response_class=HTMLResponse)
def import_duties(form: PageForm, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    def run(data: bytes) -> dict[str, Any]:
        added, errors = duties.import_xlsx(form.session, form.actor, data)
        return {"added": added, "errors": errors}

    return import_or_show(
        form.session,
        file,
        MAX_XLSX,
        "文件过大 / the file is too large",
        run,
        lambda **shown: _duties_page(form.request, form.session, form.actor, **shown),
    )


ItemText = Annotated[str, Form(max_length=2000)]


def _item_form(
    level: Annotated[str, Form(max_length=12)] = "",
    list_kind: Annotated[str, Form(max_length=12)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    legal_basis: ItemText = "",
    categories: ItemText = "",
) -> duties.ItemInput:
    """A duty item's form fields, shared by the district's edit and a department's 职责准入 request (the lead
    department is the edit's own field); categories are separated by commas or 、."""
    cats = categories.replace("、", ",").replace("，", ",").split(",")
    return duties.ItemInput(level, list_kind, name, "", legal_basis, cats)


ItemFields = Annotated[duties.ItemInput, Depends(_item_form)]


@router.post("/grid/duties/{item_id}", response_class=HTMLResponse)
def edit_item(
    item_id: int, form: PageForm, fields: ItemFields, lead_department: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    data = dataclasses.replace(fields, lead_department=lead_department)
    return _on_item(
        form, item_id, lambda item: duty_edits.edit_item(form.session, form.actor, item, data), "saved=1", True
    )


@router.post("/grid/duties/{item_id}/retire", response_class=HTMLResponse)
def retire_item(item_id: int, form: PageForm, reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    return _on_item(
        form, item_id, lambda item: duty_edits.retire_item(form.session, form.actor, item, reason), "retired=1"
    )


def _on_item(
    form: PageFormContext, item_id: int, change: Callable[[Any], object], done: str, editing: bool = False
) -> Response:
    """A change to a duty item from the list: on to `/grid/duties?<done>`, or the list again with the reason
    (and the item in its edit form when it was being edited)."""

    def show(item: Any, error: str, status: int) -> Response:
        extra = {"editing": item} if editing else {}
        return _duties_page(form.request, form.session, form.actor, status_code=status, error=error, **extra)

    def load() -> Any:
        return duty_edits.access_item(form.session, form.actor, item_id)

    return change_or_show(form.session, load, change, show, f"/grid/duties?{done}")


# -- 职责准入 ---------------------------------------------------------------------------------------------------
def _admissions_page(
    request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    rows = list(session.scalars(duties.list_admissions(session, actor).limit(200)))
    ids = {r.department_id for r in rows}
    depts = {i: n for i, n in session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))}
    return render(
        request,
        "grid_admissions.html",
        status_code=status_code,
        actor=actor,
        rows=rows,
        dept_names=depts,
        may_request=actor.department_id is not None and actor.has(Role.handler, Role.leader),
        may_decide=_may_decide(actor),
        duty_names=NAMES,
        **extra,
    )


@router.get("/grid/admissions", response_class=HTMLResponse)
def admissions_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _admissions_page(request, session, actor)


@router.post("/grid/admissions", response_class=HTMLResponse)
def request_admission(form: PageForm, item: ItemFields, reason: ItemText = "") -> Response:
    return _on_admissions(
        form, lambda: None, lambda _: duties.request_admission(form.session, form.actor, item, reason), "sent=1"
    )


@router.post("/grid/admissions/{admission_id}/{decision}", response_class=HTMLResponse)
def decide(admission_id: int, decision: str, form: PageForm, note: ItemText = "") -> Response:
    def change(row: Any) -> None:
        if decision not in ("approve", "reject"):
            raise Invalid("未知操作 / unknown decision", field="decision", code="page.invalid_decision")
        duties.decide(form.session, form.actor, row, approve=decision == "approve", note=note)

    return _on_admissions(
        form, lambda: duties.access_admission(form.session, form.actor, admission_id), change, f"decided={admission_id}"
    )


def _on_admissions(
    form: PageFormContext, load: Callable[[], Any], change: Callable[[Any], object], done: str
) -> Response:
    """A change from the admissions page: on to `/grid/admissions?<done>`, or the page again with the reason."""

    def show(_: Any, error: str, status: int) -> Response:
        return _admissions_page(form.request, form.session, form.actor, status_code=status, error=error)

    return change_or_show(form.session, load, change, show, f"/grid/admissions?{done}")
