"""Grid API: grids (import, versions), grid workers (roster, coverage), patrols (plans, sessions,
check-ins, missed), grid workers' reports (with photos, 就地解决) and the grid KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import AwareDatetime, Field
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor, Role
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute, require
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, count_rows, paginate
from cityops.core.schemas import InSchema
from cityops.events.models import Event
from cityops.grid import grid_import, kpis, patrols, reports
from cityops.grid import service as grids
from cityops.grid.models import GridReport, PatrolSession
from cityops.grid.schemas import (
    AssignmentEnded,
    AssignmentIn,
    CheckInIn,
    CheckInOut,
    CoverageOut,
    GridDetail,
    GridOut,
    GridPage,
    GridVersionOut,
    ImportOut,
    KpisOut,
    PatrolOut,
    PatrolPage,
    PlanDayOut,
    PlanIn,
    PlanOut,
    PlanPage,
    ReportIn,
    ReportOut,
    RosterOut,
)
from cityops.org import service as org
from cityops.org.models import OrgUnit

router = APIRouter(prefix="/api", tags=["grid"], route_class=TransactionalRoute)
WorkerDep = Annotated[Actor, Depends(require(Role.grid_worker))]
MAX_IMPORT = 20 * 1024 * 1024


def _within(session: Session, actor: Actor, unit_id: int | None) -> OrgUnit | None:
    return org.access_unit(session, actor, unit_id) if unit_id is not None else None


# -- grids ------------------------------------------------------------------------------------------------
@router.get("/grids")
def list_grids(
    session: SessionDep, actor: ActorDep, page: PageDep, unit_id: Annotated[int | None, Query(ge=1)] = None
) -> GridPage:
    """Grids in your subtree (or under `unit_id`), with their current record; generated ones say so."""
    stmt = grids.list_grids(session, actor, within=_within(session, actor, unit_id))
    total = count_rows(session, stmt)
    rows = session.execute(stmt.limit(page.limit).offset(page.offset)).all()
    items = [GridOut(**grids.grid_view(u, r)) for u, r in rows]
    return GridPage.of(items, total, page)


@router.get("/grids/{grid_id}")
def read_grid(grid_id: int, session: SessionDep, actor: ActorDep) -> GridDetail:
    """One grid: its current record, its versions, who covers it and its patrol plans."""
    unit = grids.access_grid(session, actor, grid_id)
    record = grids.current_record(session, unit.id)
    versions = [GridVersionOut(**{**v.__dict__, "has_polygon": bool(v.geojson)}) for v in grids.history(session, unit)]
    return GridDetail(
        **GridOut(**grids.grid_view(unit, record)).model_dump(),
        geometry=record.geojson if record else None,
        versions=versions,
        workers=[RosterOut(**r) for r in grids.roster(session, actor, within=unit)],
        plans=[PlanOut.model_validate(p) for p in session.scalars(patrols.list_plans(session, actor, grid=unit))],
    )


class GridEdit(InSchema):
    name: str = Field("", max_length=80)
    kind: str = Field("comprehensive", max_length=16, description="comprehensive (综合网格) | dedicated (专属网格)")
    dedicated_type: str = Field("", max_length=40, description="e.g. 学校, 农贸市场, 工业园区")
    valid_from: AwareDatetime | None = Field(
        None, description="when the new version took effect (default now), with its time zone"
    )


@router.put("/grids/{grid_id}")
def edit_grid(grid_id: int, body: GridEdit, session: SessionDep, actor: ActorDep) -> GridOut:
    """Edit a grid's record (a new version; the boundary stays); a generated grid becomes a real one."""
    unit = grids.access_grid(session, actor, grid_id)
    code = unit.code or ""
    if "G" not in code or not code.rsplit("G", 1)[1].isdigit():
        raise Invalid(
            "该网格代码不符合编码规则 / the grid's code does not follow community+Gnn",
            field="grid_id",
            code="grid.invalid_grid_id",
        )
    community, seq = code.rsplit("G", 1)
    data = grids.GridInput(
        community, int(seq), body.name, body.kind, body.dedicated_type, source="edit", valid_from=body.valid_from
    )
    saved, record, _ = grids.upsert_grid(session, actor, data)
    return GridOut(**grids.grid_view(saved, record))


@router.post("/grids/import")
def import_grids(
    session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File(description="CSV or GeoJSON")]
) -> ImportOut:
    """Import grids from CSV (community_code, seq, name, kind, dedicated_type) or a GeoJSON
    FeatureCollection with polygons; bad rows are reported by row, field and reason."""
    grids.require_admin(actor)
    raw = file.file.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        raise Invalid("导入文件过大 / the import file is too large", code="file.too_large", field="file")
    text = raw.decode("utf-8-sig", errors="replace")
    is_json = (file.filename or "").lower().endswith((".geojson", ".json")) or text.lstrip().startswith("{")
    saved, errors = (grid_import.import_geojson if is_json else grid_import.import_csv)(session, actor, text)
    return ImportOut(saved=saved, errors=errors)


# -- grid workers ----------------------------------------------------------------------------------------
@router.get("/grid-workers")
def roster(session: SessionDep, actor: ActorDep, unit_id: Annotated[int | None, Query(ge=1)] = None) -> list[RosterOut]:
    """Who covers which grid (专职/兼职, shift, contact) in your subtree."""
    return [RosterOut(**r) for r in grids.roster(session, actor, within=_within(session, actor, unit_id))]


@router.post("/grids/{grid_id}/workers", status_code=201)
def assign(grid_id: int, body: AssignmentIn, session: SessionDep, actor: ActorDep) -> RosterOut:
    unit = grids.access_grid(session, actor, grid_id)
    row = grids.assign_worker(session, actor, unit, grids.AssignmentInput(**body.model_dump()))
    return next(RosterOut(**r) for r in grids.roster(session, actor, within=unit) if r["id"] == row.id)


@router.post("/grid-workers/{assignment_id}/end")
def end_assignment(assignment_id: int, session: SessionDep, actor: ActorDep) -> AssignmentEnded:
    row = grids.access_assignment(session, actor, assignment_id)
    grids.end_assignment(session, actor, row)
    return AssignmentEnded(id=row.id, active=row.active, ended_at=row.ended_at)


@router.get("/grid-coverage")
def coverage(session: SessionDep, actor: ActorDep, unit_id: Annotated[int | None, Query(ge=1)] = None) -> CoverageOut:
    """How many grids have a grid worker, and which have none."""
    return CoverageOut(**grids.coverage(session, actor, within=_within(session, actor, unit_id)))


# -- patrols ------------------------------------------------------------------------------------------------
@router.post("/grids/{grid_id}/patrol-plans", status_code=201)
def create_plan(grid_id: int, body: PlanIn, session: SessionDep, actor: ActorDep) -> PlanOut:
    unit = grids.access_grid(session, actor, grid_id)
    data = patrols.PlanInput(**{**body.model_dump(), "checkpoints": [c.model_dump() for c in body.checkpoints]})
    return PlanOut.model_validate(patrols.create_plan(session, actor, unit, data))


def _plan_input(body: PlanIn) -> patrols.PlanInput:
    return patrols.PlanInput(**{**body.model_dump(), "checkpoints": [c.model_dump() for c in body.checkpoints]})


@router.put("/patrol-plans/{patrol_plan_id}")
def edit_plan(patrol_plan_id: int, body: PlanIn, session: SessionDep, actor: ActorDep) -> PlanOut:
    plan = patrols.access_plan(session, actor, patrol_plan_id)
    return PlanOut.model_validate(patrols.update_plan(session, actor, plan, _plan_input(body)))


@router.post("/patrol-plans/{patrol_plan_id}/retire")
def retire_plan(patrol_plan_id: int, session: SessionDep, actor: ActorDep) -> PlanOut:
    """A retired plan asks for no more patrols; its patrols stay on record."""
    plan = patrols.access_plan(session, actor, patrol_plan_id)
    return PlanOut.model_validate(patrols.retire_plan(session, actor, plan))


@router.get("/patrol-plans")
def list_plans(session: SessionDep, actor: ActorDep, page: PageDep) -> PlanPage:
    rows, total = paginate(session, patrols.list_plans(session, actor), page)
    return PlanPage.of([PlanOut.model_validate(p) for p in rows], total, page)


def patrol_out(session: Session, row: PatrolSession) -> PatrolOut:
    checkins = [
        CheckInOut.model_validate({**c.__dict__, "flagged": c.position != "inside"})
        for c in patrols.checkins_of(session, row)
    ]
    return PatrolOut.model_validate({**row.__dict__, "checkins": checkins})


@router.post("/patrol-plans/{patrol_plan_id}/start", status_code=201)
def start_patrol(patrol_plan_id: int, session: SessionDep, actor: WorkerDep) -> PatrolOut:
    """Start a patrol of this plan's grid (you must be assigned to it; one running patrol at a time)."""
    return patrol_out(session, patrols.start(session, actor, patrols.access_plan(session, actor, patrol_plan_id)))


@router.get("/patrols")
def list_patrols(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    mine: bool = False,
    flagged: bool | None = None,
) -> PatrolPage:
    rows, total = paginate(session, patrols.list_sessions(session, actor, mine=mine, flagged=flagged), page)
    return PatrolPage.of([patrol_out(session, r) for r in rows], total, page)


@router.get("/patrols/missed")
def missed_patrols(
    session: SessionDep,
    actor: ActorDep,
    first: date | None = None,
    last: date | None = None,
    unit_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[PlanDayOut]:
    """Plan-days (China time) whose patrols were not all done: flagged as missed."""
    lo, hi = _period(first, last)
    days = patrols.plan_days(session, actor, lo, hi, within=_within(session, actor, unit_id))
    return [PlanDayOut(**{**d.__dict__, "day": d.day.isoformat(), "missed": d.missed}) for d in days if d.missed]


@router.get("/patrols/{patrol_id}")
def read_patrol(patrol_id: int, session: SessionDep, actor: ActorDep) -> PatrolOut:
    return patrol_out(session, patrols.access_session(session, actor, patrol_id))


@router.post("/patrols/{patrol_id}/checkins", status_code=201)
def check_in(patrol_id: int, body: CheckInIn, session: SessionDep, actor: WorkerDep) -> CheckInOut:
    """Check in with your position; a position outside the grid (or unverifiable) is flagged."""
    row = patrols.access_session(session, actor, patrol_id)
    ci = patrols.check_in(session, actor, row, patrols.CheckInInput(**body.model_dump()))
    return CheckInOut.model_validate({**ci.__dict__, "flagged": ci.position != "inside"})


@router.post("/patrols/{patrol_id}/end")
def end_patrol(patrol_id: int, session: SessionDep, actor: WorkerDep) -> PatrolOut:
    row = patrols.access_session(session, actor, patrol_id)
    return patrol_out(session, patrols.end(session, actor, row))


# -- reports and KPIs -------------------------------------------------------------------------------------------
def report_out(row: GridReport, event: Event) -> ReportOut:
    return ReportOut(
        id=row.id,
        event_id=event.id,
        ref=event.ref,
        status=event.status,
        source=event.source,
        on_spot=row.on_spot,
        session_id=row.session_id,
        photos=reports.photos_of(event),
    )


@router.post("/grid-reports", status_code=201)
def file_report(body: ReportIn, session: SessionDep, actor: WorkerDep) -> ReportOut:
    """Report a problem (through the events intake) with photos uploaded to /api/files; `on_spot` closes
    it at once as 就地解决 (before photos in photo_ids, after photos in after_photo_ids, and a note)."""
    row, event = reports.report(session, actor, reports.ReportInput(**body.model_dump()))
    return report_out(row, event)


@router.get("/grid-reports/mine")
def my_reports(session: SessionDep, actor: WorkerDep, page: PageDep) -> list[ReportOut]:
    rows = session.execute(reports.my_reports(session, actor).limit(page.limit).offset(page.offset)).all()
    return [report_out(r, e) for r, e in rows]


def _period(first: date | None, last: date | None) -> tuple[date, date]:
    lo, hi = kpis.default_period(clock.now())
    lo, hi = first or lo, last or hi
    if lo > hi or (hi - lo).days > 366:
        raise Invalid(
            "统计期须在一年之内且先起后止 / first must precede last, within a year",
            field="first",
            code="grid.invalid_first",
        )
    return lo, hi


@router.get("/grid-kpis")
def grid_kpis(
    session: SessionDep,
    actor: ActorDep,
    unit_id: Annotated[int | None, Query(ge=1)] = None,
    first: date | None = None,
    last: date | None = None,
) -> KpisOut:
    """Reports per grid worker, 有效上报率, 就地解决率, patrol coverage and on-time check-in rate for your
    unit's subtree (or `unit_id`'s) over China days [first, last] (default: the last 7 days)."""
    unit = _within(session, actor, unit_id or actor.unit_id)
    if unit is None:
        raise Invalid("请指定单位 / unit_id is required", field="unit_id", code="grid.invalid_unit_id")
    lo, hi = _period(first, last)
    return KpisOut(**kpis.compute(session, actor, unit, lo, hi).as_dict())
