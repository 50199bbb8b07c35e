"""The street's grid administration pages: grids (CSV / GeoJSON import with per-row errors, a grid's
versions and its edit as a new version with valid-from) and patrol plans (create, edit, retire).
Pages call the same services as the API; another street's grids are 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.grid import grid_import, patrols
from cityops.grid import service as grids
from cityops.grid.models import KIND_NAMES
from cityops.org import service as org
from cityops.web.deps import PageActor, PageForm, PageFormContext
from cityops.web.pages import change_or_show, import_or_show, render
from cityops.web.params import day_at

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
MAX_IMPORT = 20 * 1024 * 1024
# The import's field names as the Chinese page shows them beside each refused row.
FIELD_NAMES = {
    "community_code": "村社代码",
    "seq": "序号",
    "name": "名称",
    "kind": "类型",
    "dedicated_type": "专属类型",
    "geometry": "边界",
    "properties": "属性",
    "file": "文件",
}


def _grids_page(request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any) -> HTMLResponse:
    grids.require_admin(actor)
    unit = org.access_unit(session, actor, actor.unit_id or 0)
    rows = session.execute(grids.list_grids(session, actor).limit(500)).all()
    return render(
        request,
        "grid_grids.html",
        status_code=status_code,
        actor=actor,
        unit=unit,
        items=[grids.grid_view(u, r) for u, r in rows],
        field_names=FIELD_NAMES,
        **extra,
    )


@router.get("/grid/grids", response_class=HTMLResponse)
def grids_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _grids_page(request, session, actor)


@router.post("/grid/grids/import", response_class=HTMLResponse)
def import_page(form: PageForm, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """The same import as the API; the page lists what was saved and every refused row with its reason."""
    grids.require_admin(form.actor)

    def run(raw: bytes) -> dict[str, Any]:
        text = raw.decode("utf-8-sig", errors="replace")
        is_json = (file.filename or "").lower().endswith((".geojson", ".json")) or text.lstrip().startswith("{")
        importer = grid_import.import_geojson if is_json else grid_import.import_csv
        saved, errors = importer(form.session, form.actor, text)
        return {"saved": saved, "errors": errors, "name": file.filename}

    return import_or_show(
        form.session,
        file,
        MAX_IMPORT,
        "导入文件过大 / the import file is too large",
        run,
        lambda **shown: _grids_page(form.request, form.session, form.actor, **shown),
    )


def _grid_page(request: Request, session: Session, actor: Actor, grid_id: int, **extra: Any) -> HTMLResponse:
    grids.require_admin(actor)
    unit = grids.access_grid(session, actor, grid_id)
    record = grids.current_record(session, unit.id)
    return render(
        request,
        "grid_grid.html",
        actor=actor,
        grid=grids.grid_view(unit, record),
        versions=grids.history(session, unit),
        workers=grids.roster(session, actor, within=unit),
        plans=list(session.scalars(patrols.list_plans(session, actor, grid=unit))),
        kinds=KIND_NAMES,
        **extra,
    )


@router.get("/grid/grids/{grid_id}", response_class=HTMLResponse)
def grid_page(grid_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _grid_page(request, session, actor, grid_id)


def _valid_from(day: str) -> datetime | None:
    """A new version takes effect from the start of the given day (China time)."""
    return day_at(day, "valid_from", time(0))


@router.post("/grid/grids/{grid_id}", response_class=HTMLResponse)
def edit_grid(
    grid_id: int,
    form: PageForm,
    name: Annotated[str, Form(max_length=80)] = "",
    kind: Annotated[str, Form(max_length=16)] = "comprehensive",
    dedicated_type: Annotated[str, Form(max_length=40)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A new version of the grid's record (the boundary stays), effective from the given day."""
    grids.require_admin(form.actor)

    def change(unit: Any) -> None:
        code = unit.code or ""
        if "G" not in code or not code.rsplit("G", 1)[1].isdigit():
            raise Invalid("该网格代码不符合编码规则 / bad grid code", field="grid_id", code="grid.invalid_grid_id")
        community, seq = code.rsplit("G", 1)
        data = grids.GridInput(
            community, int(seq), name, kind, dedicated_type, source="edit", valid_from=_valid_from(valid_from)
        )
        grids.upsert_grid(form.session, form.actor, data)

    return change_or_show(
        form.session,
        lambda: grids.access_grid(form.session, form.actor, grid_id),
        change,
        # A refusal is shown with 200, as ever.
        lambda _, error, __: _grid_page(form.request, form.session, form.actor, grid_id, error=error),
        f"/grid/grids/{grid_id}?saved=1",
    )


# -- patrol plans ------------------------------------------------------------------------------------------
def _plans_page(request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any) -> HTMLResponse:
    grids.require_admin(actor)
    rows = session.execute(grids.list_grids(session, actor).limit(500)).all()
    names = {u.id: grids.grid_view(u, r)["name"] for u, r in rows}
    return render(
        request,
        "grid_plans.html",
        status_code=status_code,
        actor=actor,
        plans=list(session.scalars(patrols.list_plans(session, actor).limit(500))),
        grids=[grids.grid_view(u, r) for u, r in rows],
        grid_names=names,
        **extra,
    )


@router.get("/grid/plans", response_class=HTMLResponse)
def plans_page(
    request: Request, session: SessionDep, actor: PageActor, edit: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    editing = patrols.access_plan(session, actor, edit) if edit else None
    return _plans_page(request, session, actor, editing=editing)


def _plan_form(
    name: Annotated[str, Form(max_length=80)] = "",
    checkpoints: Annotated[str, Form(max_length=2000)] = "",
    per_day: Annotated[int, Form(ge=1, le=12)] = 1,
    window_start: Annotated[str, Form(max_length=5)] = "08:00",
    window_end: Annotated[str, Form(max_length=5)] = "18:00",
) -> patrols.PlanInput:
    """A plan's form fields; checkpoints are typed one a line (a name; the phone's position is checked at each
    check-in)."""
    points = [{"name": line.strip()} for line in checkpoints.splitlines() if line.strip()]
    return patrols.PlanInput(name, points, per_day, window_start.strip(), window_end.strip())


PlanFields = Annotated[patrols.PlanInput, Depends(_plan_form)]


def _on_plans(
    form: PageFormContext,
    plan_id: int | None,
    change: Callable[[Any], object],
    done_url: str = "/grid/plans?saved=1",
    editing: bool = False,
) -> Response:
    """A change from the plans page to the plan `plan_id` (None: a new plan); refused, the page again with the
    reason (and the plan being edited)."""

    def load() -> Any:
        return None if plan_id is None else patrols.access_plan(form.session, form.actor, plan_id)

    def show(obj: Any, error: str, status: int) -> Response:
        extra = {"editing": obj} if editing else {}
        return _plans_page(form.request, form.session, form.actor, status_code=status, error=error, **extra)

    return change_or_show(form.session, load, change, show, done_url)


@router.post("/grid/plans", response_class=HTMLResponse)
def create_plan(form: PageForm, grid_id: Annotated[int, Form(ge=1)], plan: PlanFields) -> Response:
    def change(_: None) -> object:
        grid = grids.access_grid(form.session, form.actor, grid_id)
        return patrols.create_plan(form.session, form.actor, grid, plan)

    return _on_plans(form, None, change)


@router.post("/grid/plans/{plan_id}", response_class=HTMLResponse)
def edit_plan(plan_id: int, form: PageForm, plan: PlanFields) -> Response:
    return _on_plans(form, plan_id, lambda row: patrols.update_plan(form.session, form.actor, row, plan), editing=True)


@router.post("/grid/plans/{plan_id}/retire", response_class=HTMLResponse)
def retire_plan(plan_id: int, form: PageForm) -> Response:
    return _on_plans(
        form, plan_id, lambda row: patrols.retire_plan(form.session, form.actor, row), "/grid/plans?retired=1"
    )
