"""Catalogue routes: the event categories (事项目录), the three-level duty lists (三级职责清单) with CSV export and
import, and the working calendar that deadlines in working days follow."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from cityops.core import audit
from cityops.core.deps import ActorDep, AdminDep, SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, paginate
from cityops.events import catalogue
from cityops.events.models import Category, Duty, WorkCalendarDay
from cityops.events.schemas import (
    CalendarDayIn,
    CalendarDayRead,
    CategoryRead,
    CategoryUpdate,
    DutyImportOut,
    DutyIn,
    DutyRead,
)
from cityops.org import service as org

router = APIRouter(prefix="/api", tags=["catalogue"], route_class=TransactionalRoute)


# -- catalogue, duties, calendar --------------------------------------------------------------------------
@router.get("/catalogue/categories", tags=["catalogue"])
def list_categories(session: SessionDep, _: ActorDep) -> list[CategoryRead]:
    """The event catalogue: families and categories, with deadlines and required fields."""
    rows = session.scalars(select(Category).order_by(Category.parent_id.is_not(None), Category.code))
    return [CategoryRead.model_validate(c) for c in rows]


@router.patch("/catalogue/categories/{code}", tags=["catalogue"])
def update_category(code: str, body: CategoryUpdate, session: SessionDep, actor: AdminDep) -> CategoryRead:
    """Edit a category (admins): deadlines per severity and stage, keywords, required fields, active."""
    cat = session.scalars(select(Category).where(Category.code == code)).one_or_none()
    if cat is None:
        raise catalogue.CategoryNotFound(field="code")
    changes = body.model_dump(exclude_none=True)
    return CategoryRead.model_validate(catalogue.update_category(session, actor, cat, changes))


@router.get("/duties", tags=["catalogue"])
def list_duties(session: SessionDep, _: ActorDep, page: PageDep) -> list[DutyRead]:
    """三级职责清单: who handles each category, by default and for specific units."""
    rows, _n = paginate(session, select(Duty).order_by(Duty.category_id, Duty.id), page)
    return [DutyRead.model_validate(d) for d in rows]


@router.put("/duties", tags=["catalogue"])
def set_duty(body: DutyIn, session: SessionDep, actor: AdminDep) -> DutyRead:
    """Create or replace the duty for a category (everywhere, or for one unit's subtree)."""
    cat = session.scalars(select(Category).where(Category.code == body.category)).one_or_none()
    if cat is None:
        raise catalogue.CategoryNotFound(field="category")
    unit = None
    if body.unit_code:
        unit = org.get_by_code(session, body.unit_code)
        if unit is None:
            raise Invalid("未知单位代码 / unknown unit_code", field="unit_code", code="event.invalid_unit_code")
    duty = catalogue.set_duty(
        session,
        actor,
        category=cat,
        unit=unit,
        level=body.level,
        assignee=body.assignee,
        department_code=body.department_code,
        note=body.note,
    )
    return DutyRead.model_validate(duty)


@router.get(
    "/duties/export.csv",
    tags=["catalogue"],
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_duties(session: SessionDep, _: ActorDep) -> Response:
    """The duty lists as CSV (category, unit_code, level, assignee, department_code, note)."""
    return Response(catalogue.export_duties_csv(session), media_type="text/csv; charset=utf-8")


@router.post("/duties/import", tags=["catalogue"])
async def import_duties(request: Request, session: SessionDep, actor: AdminDep) -> DutyImportOut:
    """Apply a duty CSV (same columns as the export); bad rows are reported by row, field and reason."""
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    from starlette.concurrency import run_in_threadpool

    applied, errors = await run_in_threadpool(catalogue.import_duties_csv, session, actor, text)
    return DutyImportOut(applied=applied, errors=errors)


@router.get("/calendar", tags=["catalogue"])
def list_calendar(session: SessionDep, _: ActorDep) -> list[CalendarDayRead]:
    """Holidays and make-up working days that deadlines in working days respect."""
    return [
        CalendarDayRead(day=d.day.isoformat(), kind=d.kind, name=d.name)
        for d in session.scalars(select(WorkCalendarDay).order_by(WorkCalendarDay.day))
    ]


@router.put("/calendar", tags=["catalogue"])
def set_calendar_day(body: CalendarDayIn, session: SessionDep, actor: AdminDep) -> CalendarDayRead:
    """Mark a day as a holiday (休) or a make-up working day (班)."""
    if body.kind not in ("holiday", "workday"):
        raise Invalid("kind 须为 holiday 或 workday", field="kind", code="event.invalid_kind")
    try:
        day = date.fromisoformat(body.day)
    except ValueError:
        raise Invalid("日期无效 / invalid date", field="day", code="event.invalid_day") from None
    row = session.get(WorkCalendarDay, day)
    if row is None:
        session.add(WorkCalendarDay(day=day, kind=body.kind, name=body.name))
    else:
        row.kind, row.name = body.kind, body.name
    audit.record(session, actor, "events.calendar_set", ("work_calendar_day", body.day), kind=body.kind)
    return CalendarDayRead(day=body.day, kind=body.kind, name=body.name)
