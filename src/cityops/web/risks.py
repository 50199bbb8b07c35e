"""风险清单 in the browser: the register with filters, a point's page (level, reassessments, inspections,
hazards, 风险提示), the hazard page with its transitions as buttons, and the inspection form with photos.
Pages call the same services as the API and show only the user's subtree."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.risks import hazard_events, hazards, inspections, matrix
from cityops.risks import service as points
from cityops.risks.models import Hazard, PointPrompt, RiskPoint
from cityops.risks.views import read_points
from cityops.web.deps import PageActor, PageForm
from cityops.web.object_pages import ObjectPage
from cityops.web.pages import render
from cityops.web.params import day_at, page_of, query_string

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
PAGE_SIZE = 50
# Every step of a hazard's history by name: its actions and the steps that are not actions.
HAZARD_STEPS = {
    **hazards.ACTION_NAME,
    "register": ("登记", "Registered"),
    "deadline": ("设定整改期限", "Deadline set"),
    "plan": ("制定整改方案", "Rectification plan set"),
    "reinspect": ("复查", "Re-inspection"),
    "to_event": ("转为事件", "Turned into an event"),
}
# Steps whose note the platform writes (in both languages); the other notes are typed by people, as typed.
SYSTEM_NOTES = ("register", "plan", "to_event")
NAMES = {
    "levels": matrix.LEVEL_NAME,
    "levels_en": matrix.LEVEL_NAME_EN,
    "colors": matrix.LEVEL_COLOR,
    "statuses": hazards.STATUS_NAME,
    "actions": HAZARD_STEPS,
    "system_notes": SYSTEM_NOTES,
    "grades": hazards.GRADE_NAME,
    "missing": hazards.MISSING_NAME,
    "likelihood": matrix.LIKELIHOOD,
    "consequence": matrix.CONSEQUENCE,
    "triggers": {
        "initial": "登记评估",
        "import": "导入",
        "manual": "人工复评",
        "alarm": "告警触发",
        "event": "事件触发",
    },
}


@router.get("/risks", response_class=HTMLResponse)
def register_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    level: Annotated[str, Query(max_length=16)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    f = points.PointFilter(
        level=level if level in matrix.LEVELS else None,
        category=category if category in {c.code for c in points.categories(session)} else None,
        q=q or None,
    )
    rows, more = page_of(session, points.list_points(session, actor, f), page, PAGE_SIZE)
    return render(
        request,
        "risks.html",
        actor=actor,
        items=read_points(session, rows),
        more=more,
        page=page,
        query=query_string({"level": level, "category": category, "q": q}),
        level=level,
        category=category,
        q=q,
        categories=points.categories(session),
        names=NAMES,
    )


def _point_page(
    request: Request, session: Session, actor: Actor, point: RiskPoint, error: str = "", status_code: int = 200
) -> HTMLResponse:
    found = list(session.scalars(select(Hazard).where(Hazard.point_id == point.id).order_by(Hazard.found_at.desc())))
    prompts = list(
        session.scalars(select(PointPrompt).where(PointPrompt.point_id == point.id).order_by(PointPrompt.id.desc()))
    )
    return render(
        request,
        "risk_point.html",
        status_code=status_code,
        actor=actor,
        point=read_points(session, [point])[0],
        assessments=points.assessments(session, point.id),
        inspections=inspections.of_point(session, point.id),
        hazards=found,
        prompts=prompts,
        checklist=points.checklist_of(session, point),
        grid=matrix.grid(),
        may_edit=actor.has(*points.EDITORS),
        may_report=actor.has(*hazards.REPORTERS),
        error=error,
        names=NAMES,
    )


# A change on the point returns where to go next (else the point again).
POINT = ObjectPage(points.access_point, _point_page, "/risks/points/{id}")


@router.get("/risks/points/{point_id}", response_class=HTMLResponse)
def point_page(point_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return POINT.show(request, session, actor, point_id)


def _deadline(day: str, field: str) -> datetime | None:
    """A date from a form (China time): due by the end of that day."""
    return day_at(day, field, time(23, 59))


@router.post("/risks/points/{point_id}/hazards", response_class=HTMLResponse)
def register_hazard(
    point_id: int,
    form: PageForm,
    title: Annotated[str, Form(max_length=200)] = "",
    grade: Annotated[str, Form(max_length=8)] = "general",
    description: Annotated[str, Form(max_length=4000)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def change(point: RiskPoint) -> str:
        item = hazards.HazardInput(
            title=title, grade=grade, description=description, deadline=_deadline(deadline, "deadline")
        )
        return f"/risks/hazards/{hazards.register(form.session, form.actor, point, item).id}"

    return POINT.change(form, point_id, change)


@router.post("/risks/points/{point_id}/reassess", response_class=HTMLResponse)
def reassess(
    point_id: int,
    form: PageForm,
    likelihood: Annotated[int, Form(ge=1, le=5)],
    consequence: Annotated[int, Form(ge=1, le=5)],
    reasons: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def change(point: RiskPoint) -> str:
        points.reassess(
            form.session,
            form.actor,
            point,
            likelihood=likelihood,
            consequence=consequence,
            trigger="manual",
            reasons=reasons,
        )
        return f"/risks/points/{point_id}"

    return POINT.change(form, point_id, change)


# -- hazards ---------------------------------------------------------------------------------------------
def _hazard_page(
    request: Request, session: Session, actor: Actor, hazard: Hazard, error: str = "", status_code: int = 200
) -> HTMLResponse:
    point = session.get(RiskPoint, hazard.point_id) if hazard.point_id else None
    return render(
        request,
        "risk_hazard.html",
        status_code=status_code,
        actor=actor,
        hazard=hazard,
        point=point,
        allowed=hazards.allowed_actions(hazard, actor),
        missing=hazards.missing_for_close(session, hazard) if hazard.status != "closed" else [],
        log=hazards.log_of(session, hazard.id),
        reinspections=hazards.reinspections(session, hazard.id),
        may_plan=actor.has(*hazards.MAY["start"]) and hazard.grade == "major" and hazard.status != "closed",
        may_reinspect=actor.has(*inspections.INSPECTORS) and hazard.status == "acceptance",
        may_event=hazard.event_id is None and hazard.status != "closed" and actor.has(*hazards.MAY["start"]),
        plan_fields=hazards.PLAN_FIELDS,
        error=error,
        names=NAMES,
    )


# A change on the hazard shows it again: what it returns (an event, an inspection) is no str, not a next page.
HAZARD = ObjectPage(hazards.access_hazard, _hazard_page, "/risks/hazards/{id}")


@router.get("/risks/hazards/{hazard_id}", response_class=HTMLResponse)
def hazard_page(hazard_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return HAZARD.show(request, session, actor, hazard_id)


@router.post("/risks/hazards/{hazard_id}/act", response_class=HTMLResponse)
def hazard_act(
    hazard_id: int,
    form: PageForm,
    action: Annotated[str, Form(max_length=24)],
    note: Annotated[str, Form(max_length=1000)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    def change(h: Hazard) -> None:
        due = _deadline(deadline, "deadline")
        if due is not None:
            hazards.set_deadline(form.session, form.actor, h, due)
            version_seen = None
        else:
            version_seen = version
        hazards.act(form.session, form.actor, h, action, note=note, version=version_seen)

    return HAZARD.change(form, hazard_id, change)


@router.post("/risks/hazards/{hazard_id}/plan", response_class=HTMLResponse)
def hazard_plan(
    hazard_id: int,
    form: PageForm,
    measures: Annotated[str, Form(max_length=4000)] = "",
    funds: Annotated[str, Form(max_length=200)] = "",
    unit: Annotated[str, Form(max_length=200)] = "",
    person: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    interim_measures: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def change(h: Hazard) -> None:
        plan = {
            "measures": measures,
            "funds": funds,
            "unit": unit,
            "person": person,
            "deadline": _deadline(deadline, "plan.deadline") or "",
            "interim_measures": interim_measures,
        }
        hazards.set_plan(form.session, form.actor, h, plan)

    return HAZARD.change(form, hazard_id, change)


@router.post("/risks/hazards/{hazard_id}/reinspect", response_class=HTMLResponse)
def hazard_reinspect(
    hazard_id: int,
    form: PageForm,
    result: Annotated[str, Form(pattern="^(pass|fail)$")],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    def change(h: Hazard) -> object:
        return hazards.reinspect(form.session, form.actor, h, passed=result == "pass", note=note)

    return HAZARD.change(form, hazard_id, change)


@router.post("/risks/hazards/{hazard_id}/event", response_class=HTMLResponse)
def hazard_event(hazard_id: int, form: PageForm, note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def change(h: Hazard) -> object:
        return hazard_events.to_event(form.session, form.actor, h, category=None, note=note)

    return HAZARD.change(form, hazard_id, change)


# -- inspections -----------------------------------------------------------------------------------------
def _inspection_page(
    request: Request, session: Session, actor: Actor, row: Any, error: str = "", status_code: int = 200
) -> HTMLResponse:
    point = points.access_point(session, actor, row.point_id)
    return render(
        request,
        "risk_inspection.html",
        status_code=status_code,
        actor=actor,
        inspection=row,
        point=point,
        checklist=points.checklist_of(session, point),
        photos=inspections.photos_of(session, row.id),
        may_record=actor.has(*inspections.INSPECTORS) and row.status == "scheduled",
        error=error,
        names=NAMES,
    )


INSPECTION = ObjectPage(inspections.access_inspection, _inspection_page, "/risks/inspections/{id}")


@router.get("/risks/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(inspection_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return INSPECTION.show(request, session, actor, inspection_id)


@router.post("/risks/inspections/{inspection_id}", response_class=HTMLResponse)
async def inspection_submit(inspection_id: int, form: PageForm) -> Response:
    """The form: for item i, `ok_i` (ok | fail) and `note_i`; a general `note`; any number of `photos`."""
    from starlette.concurrency import run_in_threadpool

    fields = form.fields
    photos = []
    for upload in fields.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(inspections.MAX_PHOTO + 1)
            photos.append(inspections.Photo(upload.filename, upload.content_type or "", data))

    def record(row: Any) -> None:
        point = points.access_point(form.session, form.actor, row.point_id)
        checklist = points.checklist_of(form.session, point)
        checks = [
            (str(fields.get(f"ok_{i}", "")) == "ok", str(fields.get(f"note_{i}", ""))[:300])
            for i in range(len(checklist))
        ]
        missing = [i + 1 for i in range(len(checklist)) if str(fields.get(f"ok_{i}", "")) not in ("ok", "fail")]
        if missing:
            raise Invalid(
                f"请逐项填写检查结果（第 {missing[0]} 项未填）/ answer every item",
                field=f"checks.{missing[0] - 1}",
                code="page.checklist_incomplete",
            )
        body = inspections.ResultInput(checks=checks, note=str(fields.get("note", ""))[:1000], photos=tuple(photos))
        inspections.record(form.session, form.actor, row, checklist, body)

    return await run_in_threadpool(INSPECTION.change, form, inspection_id, record)
