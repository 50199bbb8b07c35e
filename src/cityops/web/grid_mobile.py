"""The grid worker's phone pages (390 px, Chinese first): today's patrol with start/stop and check-in,
report a problem with photos and position (or fix it on the spot), and my reports with their status."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from cityops.core import files
from cityops.core.actor import Actor, Role
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Forbidden, Invalid
from cityops.core.files_api import read_upload, store_of
from cityops.events import catalogue
from cityops.grid import patrols, reports
from cityops.grid import service as grids
from cityops.grid.models import POSITION_NAMES
from cityops.web import category_fields
from cityops.web.deps import PageActor, PageForm, PageFormContext
from cityops.web.pages import change_or_show, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


def _worker(actor: Actor) -> Actor:
    if not actor.has(Role.grid_worker):
        raise Forbidden("此页面供网格员使用 / these pages are for grid workers", code="grid.workers_only")
    return actor


def _number(text: str, name: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Invalid(f"「{name}」须为数字 / {name} must be a number", field=name, code="page.not_a_number") from None


def _today(session: Session, actor: Actor) -> dict[str, Any]:
    running = patrols.open_session_of(session, actor)
    return {
        "plans": patrols.plans_for_worker(session, actor),
        "running": running,
        "checkins": patrols.checkins_of(session, running) if running else [],
        "grids": grids.my_grids(session, actor),
        "position_names": POSITION_NAMES,
    }


@router.get("/m", response_class=HTMLResponse)
def today(request: Request, session: SessionDep, actor: PageActor, error: str = "") -> HTMLResponse:
    """今日巡查: the plans of my grids, the running patrol and its check-ins."""
    _worker(actor)
    return render(request, "m_today.html", actor=actor, error=error[:200], **_today(session, actor))


def _on_today(
    form: PageFormContext, change: Callable[[Any], object], load: Callable[[], Any] | None = None
) -> Response:
    """A grid worker's patrol change from 今日巡查 (on the loaded patrol, if any): back to the page, or — refused
    — the page again with the reason."""
    session, actor = form.session, form.actor
    _worker(actor)

    def show(_: Any, error: str, status: int) -> Response:
        return render(
            form.request, "m_today.html", status_code=status, actor=actor, error=error, **_today(session, actor)
        )

    return change_or_show(session, load or (lambda: None), change, show, "/m")


@router.post("/m/patrols/start", response_class=HTMLResponse)
def start(form: PageForm, plan_id: Annotated[int, Form(ge=1, le=2**31 - 1)]) -> Response:
    def change(_: None) -> object:
        return patrols.start(form.session, form.actor, patrols.access_plan(form.session, form.actor, plan_id))

    return _on_today(form, change)


@router.post("/m/patrols/{patrol_id}/checkin", response_class=HTMLResponse)
def check_in(
    patrol_id: int,
    form: PageForm,
    lon: Annotated[str, Form(max_length=20)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    checkpoint: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    def change(row: Any) -> object:
        data = patrols.CheckInInput(_number(lon, "lon"), _number(lat, "lat"), address, checkpoint)
        return patrols.check_in(form.session, form.actor, row, data)

    return _on_today(form, change, lambda: patrols.access_session(form.session, form.actor, patrol_id))


@router.post("/m/patrols/{patrol_id}/end", response_class=HTMLResponse)
def end(patrol_id: int, form: PageForm) -> Response:
    def change(_: None) -> object:
        return patrols.end(form.session, form.actor, patrols.access_session(form.session, form.actor, patrol_id))

    return _on_today(form, change)


def _categories(session: Session) -> list[tuple[str, str, str]]:
    view = catalogue.view(session)
    return sorted((c.family, c.name, c.code) for c in view.by_code.values())


def _report_form(
    request: Request, session: Session, actor: Actor, form: dict[str, Any], error: str = "", status: int = 200
) -> HTMLResponse:
    running = patrols.open_session_of(session, actor)
    return render(
        request,
        "m_report.html",
        status_code=status,
        actor=actor,
        categories=_categories(session),
        category_specs=category_fields.specs_by_category(session),
        grids=grids.my_grids(session, actor),
        running=running,
        form=form,
        error=error,
    )


@router.get("/m/report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    _worker(actor)
    return _report_form(request, session, actor, {"idempotency_key": secrets.token_urlsafe(16)})


def _save_photos(form: PageFormContext, uploads: list[UploadFile]) -> list[int]:
    request = form.request
    limit = int(request.app.state.settings.upload_max_bytes)
    ids = []
    for up in uploads:
        if not up.filename:  # an empty file input still sends a part
            continue
        row = files.save_upload(
            form.session, form.actor, store_of(request), read_upload(request, up), name=up.filename, max_bytes=limit
        )
        ids.append(row.id)
    return ids


@router.post("/m/report", response_class=HTMLResponse)
def file_report(
    form: PageForm,
    category: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=4000)],
    grid_id: Annotated[str, Form(max_length=12)] = "",
    lon: Annotated[str, Form(max_length=20)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    on_spot: Annotated[str, Form(max_length=4)] = "",
    note: Annotated[str, Form(max_length=400)] = "",
    idempotency_key: Annotated[str, Form(max_length=120)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    after_photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    _worker(form.actor)
    typed = category_fields.entered(form.fields, form.session, category)
    entered = {
        "category": category,
        "description": description,
        "grid_id": grid_id,
        "lon": lon,
        "lat": lat,
        "address": address,
        "on_spot": on_spot == "on",
        "note": note,
        "idempotency_key": idempotency_key,
        "typed": typed,
    }

    def change(_: None) -> None:
        data = reports.ReportInput(
            category=category,
            description=description,
            grid_id=int(grid_id) if grid_id.isdigit() else None,
            lon=_number(lon, "lon"),
            lat=_number(lat, "lat"),
            address=address,
            photo_ids=_save_photos(form, photos or []),
            after_photo_ids=_save_photos(form, after_photos or []),
            on_spot=on_spot == "on",
            note=note,
            idempotency_key=idempotency_key or None,
            attributes=category_fields.attributes(typed, form.session, category),
        )
        if not description.strip():
            raise Invalid("请描述问题 / description is required", field="description", code="page.invalid_description")
        reports.report(form.session, form.actor, data)

    return change_or_show(
        form.session,
        lambda: None,
        change,
        lambda _, error, status: _report_form(form.request, form.session, form.actor, entered, error, status),
        "/m/reports",
    )


@router.get("/m/reports", response_class=HTMLResponse)
def my_reports(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    """我的上报: each report's status, whether it was fixed on the spot, its photos."""
    _worker(actor)
    rows = session.execute(reports.my_reports(session, actor).limit(100)).all()
    cats = catalogue.view(session).by_id
    items = [
        {
            "report": r,
            "event": e,
            "category": cats[e.category_id].name if e.category_id in cats else "",
            "photos": reports.photos_of(e),
        }
        for r, e in rows
    ]
    return render(request, "m_reports.html", actor=actor, items=items)
