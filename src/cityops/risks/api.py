"""Risk register routes: categories, points (list, register, detail, reassess, map layer, XLSX/CSV import
and export), inspections with results and photos, hazards through rectification, 风险提示, runway figures
and the district's 城市运行安全风险清单."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import NotFound
from cityops.core.pagination import PageDep, paginate
from cityops.core.schemas import GEOJSON, FeatureCollection
from cityops.org import service as org
from cityops.risks import figures as risk_figures
from cityops.risks import hazard_events, hazards, inspections, matrix, sheets
from cityops.risks import service as points
from cityops.risks.models import Hazard, Inspection, InspectionPhoto, PointPrompt
from cityops.risks.schemas import (
    AssessmentRead,
    Band,
    CategoryRead,
    EventLink,
    FiguresOut,
    HazardActionIn,
    HazardCreate,
    HazardDetail,
    HazardLogRead,
    HazardPage,
    HazardRead,
    ImportOut,
    InspectionPage,
    InspectionRead,
    InspectionResultIn,
    MatrixOut,
    PhotoOut,
    PlanIn,
    PointCreate,
    PointDetail,
    PointPage,
    PointRead,
    PromptRead,
    ReassessIn,
    ReinspectionIn,
    ToEventIn,
)
from cityops.risks.views import read_points

router = APIRouter(prefix="/api/risks", tags=["risks"], route_class=TransactionalRoute)
LevelQ = Annotated[str | None, Query(pattern="^(major|significant|general|low)$")]


def read_hazard(session: Session, actor: Actor, h: Hazard) -> HazardRead:
    r = HazardRead.model_validate(h)
    r.allowed_actions = hazards.allowed_actions(h, actor)
    r.missing_for_close = hazards.missing_for_close(session, h) if h.status != "closed" else []
    return r


@router.get("/categories")
def list_categories(session: SessionDep, actor: ActorDep) -> list[CategoryRead]:
    """The category tree (families with parent_id null, leaves with their checklist and default cycle)."""
    return [CategoryRead.model_validate(c) for c in points.categories(session)]


@router.get("/matrix")
def risk_matrix(actor: ActorDep) -> MatrixOut:
    """The 5×5 matrix: rows likelihood 5→1, columns consequence 1→5, each cell a level; and the bands."""
    return MatrixOut(grid=matrix.grid(), bands=[Band(min_score=s, level=lv) for s, lv in matrix.BANDS])


@router.get("/points")
def list_points(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    level: LevelQ = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    unit_id: int | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> PointPage:
    f = points.PointFilter(level=level, category=category, unit_id=unit_id, q=q)
    rows, total = paginate(session, points.list_points(session, actor, f), page)
    return PointPage.of(read_points(session, rows), total, page)


@router.post("/points", status_code=201)
def create_point(body: PointCreate, session: SessionDep, actor: ActorDep) -> PointRead:
    """Register a point; its level comes from the matrix (likelihood × consequence) and its first
    inspection is scheduled from the cycle."""
    item = points.PointInput(
        **{**body.model_dump(), "device_codes": tuple(body.device_codes), "plan_keys": tuple(body.plan_keys)}
    )
    return read_points(session, [points.create_point(session, actor, item)])[0]


@router.get("/points.geojson", response_class=JSONResponse, response_model=FeatureCollection, responses=GEOJSON)
def points_layer(
    session: SessionDep,
    actor: ActorDep,
    unit_id: int | None = None,
    level: LevelQ = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 20_000,
) -> JSONResponse:
    """The map layer: risk points (or their areas) in the caller's subtree, coloured by level."""
    stmt = points.list_points(session, actor, points.PointFilter(level=level, unit_id=unit_id))
    features = []
    for p in session.scalars(stmt.limit(limit)):
        geometry = p.polygon or ({"type": "Point", "coordinates": [p.lon, p.lat]} if p.lon is not None else None)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": p.id,
                    "ref": p.ref,
                    "name": p.name,
                    "level": p.level,
                    "level_name": matrix.LEVEL_NAME[p.level],
                    "color": matrix.LEVEL_COLOR[p.level],
                    "fill": matrix.LEVEL_HEX[p.level],
                    "score": p.score,
                    "demo": p.is_demo,
                    "url": f"/risks/points/{p.id}",
                },
            }
        )
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


@router.get(
    "/points/export",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def export_points(
    session: SessionDep,
    actor: ActorDep,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx",
    level: LevelQ = None,
    unit_id: int | None = None,
) -> Response:
    """The register as the import reads it back (编号、风险等级、所在单位 are for reading and ignored on import)."""
    rows = list(
        session.scalars(
            points.list_points(session, actor, points.PointFilter(level=level, unit_id=unit_id)).limit(50_000)
        )
    )
    if format == "csv":
        return Response(
            sheets.to_csv(session, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="risk-points.csv"'},
        )
    return Response(
        sheets.to_xlsx(session, rows),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="risk-points.xlsx"'},
    )


@router.post("/points/import")
def import_points(
    session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File(description=".xlsx or .csv")]
) -> ImportOut:
    """Rows become points; bad rows come back by their sheet row number with the field and the reason."""
    data = file.file.read(sheets.MAX_BYTES + 1)
    return ImportOut(**sheets.import_points(session, actor, data, file.filename or ""))


@router.get("/points/{point_id}")
def get_point(point_id: int, session: SessionDep, actor: ActorDep) -> PointDetail:
    point = points.access_point(session, actor, point_id)
    base = read_points(session, [point])[0]
    return PointDetail(
        **base.model_dump(),
        assessments=[AssessmentRead.model_validate(a) for a in points.assessments(session, point.id)],
        checklist=points.checklist_of(session, point),
    )


@router.post("/points/{point_id}/reassess")
def reassess_point(point_id: int, body: ReassessIn, session: SessionDep, actor: ActorDep) -> AssessmentRead:
    """Put the point in a new cell of the matrix (by hand, with reasons)."""
    point = points.access_point(session, actor, point_id)
    row = points.reassess(
        session,
        actor,
        point,
        likelihood=body.likelihood,
        consequence=body.consequence,
        trigger="manual",
        reasons=body.reasons,
    )
    return AssessmentRead.model_validate(row)


# -- inspections -----------------------------------------------------------------------------------------
@router.get("/inspections")
def list_inspections(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(scheduled|done)$")] = None,
    overdue: bool | None = None,
    point_id: int | None = None,
) -> InspectionPage:
    stmt = select(Inspection).where(inspections.visible(actor))
    if status:
        stmt = stmt.where(Inspection.status == status)
    if overdue is not None:
        stmt = stmt.where(Inspection.overdue.is_(overdue))
    if point_id is not None:
        stmt = stmt.where(Inspection.point_id == points.access_point(session, actor, point_id).id)
    rows, total = paginate(session, stmt.order_by(Inspection.due_at, Inspection.id), page)
    return InspectionPage.of([InspectionRead.model_validate(r) for r in rows], total, page)


@router.get("/inspections/{inspection_id}")
def get_inspection(inspection_id: int, session: SessionDep, actor: ActorDep) -> InspectionRead:
    return InspectionRead.model_validate(inspections.access_inspection(session, actor, inspection_id))


@router.post("/inspections/{inspection_id}/result")
def record_inspection(
    inspection_id: int, body: InspectionResultIn, session: SessionDep, actor: ActorDep
) -> InspectionRead:
    """The checklist result, one entry per item of the category's checklist; all ok is a pass."""
    row = inspections.access_inspection(session, actor, inspection_id)
    point = points.access_point(session, actor, row.point_id)
    result = inspections.ResultInput(checks=[(c.ok, c.note) for c in body.checks], note=body.note)
    return InspectionRead.model_validate(
        inspections.record(session, actor, row, points.checklist_of(session, point), result)
    )


@router.post("/inspections/{inspection_id}/photos", status_code=201)
def add_photo(
    inspection_id: int, session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()]
) -> PhotoOut:
    """A photo taken at the inspection (JPEG, PNG or WebP, at most 5 MB)."""
    row = inspections.access_inspection(session, actor, inspection_id)
    photo = inspections.Photo(
        file.filename or "photo", file.content_type or "", file.file.read(inspections.MAX_PHOTO + 1)
    )
    saved = inspections.add_photo(session, actor, row, photo)
    return PhotoOut(id=saved.id, filename=saved.filename, size=saved.size, sha256=saved.sha256)


@router.get(
    "/inspections/{inspection_id}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_photo(inspection_id: int, photo_id: int, session: SessionDep, actor: ActorDep) -> Response:
    row = inspections.access_inspection(session, actor, inspection_id)
    photo = session.get(InspectionPhoto, photo_id)
    if photo is None or photo.inspection_id != row.id:
        raise NotFound("照片不存在 / photo not found", code="risk.photo_not_found")
    return Response(photo.data, media_type=photo.content_type)


# -- hazards ---------------------------------------------------------------------------------------------
@router.get("/hazards")
def list_hazards(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(registered|rectifying|acceptance|returned|closed)$")] = None,
    grade: Annotated[str | None, Query(pattern="^(general|major)$")] = None,
    point_id: int | None = None,
) -> HazardPage:
    stmt = select(Hazard).where(hazards.visible(actor))
    if status:
        stmt = stmt.where(Hazard.status == status)
    if grade:
        stmt = stmt.where(Hazard.grade == grade)
    if point_id is not None:
        stmt = stmt.where(Hazard.point_id == points.access_point(session, actor, point_id).id)
    rows, total = paginate(session, stmt.order_by(Hazard.found_at.desc(), Hazard.id.desc()), page)
    return HazardPage.of([read_hazard(session, actor, h) for h in rows], total, page)


@router.post("/hazards", status_code=201)
def register_hazard(body: HazardCreate, session: SessionDep, actor: ActorDep) -> HazardRead:
    point = points.access_point(session, actor, body.point_id)
    item = hazards.HazardInput(
        title=body.title,
        grade=body.grade,
        description=body.description,
        deadline=body.deadline,
        inspection_id=body.inspection_id,
    )
    return read_hazard(session, actor, hazards.register(session, actor, point, item))


@router.get("/hazards/{hazard_id}")
def get_hazard(hazard_id: int, session: SessionDep, actor: ActorDep) -> HazardDetail:
    h = hazards.access_hazard(session, actor, hazard_id)
    return HazardDetail(
        **read_hazard(session, actor, h).model_dump(),
        log=[HazardLogRead.model_validate(x) for x in hazards.log_of(session, h.id)],
    )


@router.post("/hazards/{hazard_id}/actions/{action}")
def hazard_action(
    hazard_id: int, action: str, body: HazardActionIn, session: SessionDep, actor: ActorDep
) -> HazardRead:
    """start · fix_on_spot · request_acceptance · accept (销号) · return · supervise (挂牌督办). Closing a major
    hazard without its plan, supervision and a passed re-inspection answers 409 `risk.close_requirements`
    with `data.missing`."""
    h = hazards.access_hazard(session, actor, hazard_id)
    return read_hazard(session, actor, hazards.act(session, actor, h, action, note=body.note, version=body.version))


@router.put("/hazards/{hazard_id}/plan")
def hazard_plan(hazard_id: int, body: PlanIn, session: SessionDep, actor: ActorDep) -> HazardRead:
    """The rectification plan of a 重大隐患: measures, funds, unit and person, deadline, interim measures."""
    h = hazards.access_hazard(session, actor, hazard_id)
    return read_hazard(session, actor, hazards.set_plan(session, actor, h, body.model_dump()))


@router.post("/hazards/{hazard_id}/reinspections", status_code=201)
def hazard_reinspection(hazard_id: int, body: ReinspectionIn, session: SessionDep, actor: ActorDep) -> InspectionRead:
    h = hazards.access_hazard(session, actor, hazard_id)
    return InspectionRead.model_validate(hazards.reinspect(session, actor, h, passed=body.passed, note=body.note))


@router.post("/hazards/{hazard_id}/event", status_code=201)
def hazard_to_event(hazard_id: int, body: ToEventIn, session: SessionDep, actor: ActorDep) -> EventLink:
    """The hazard becomes an event through the events intake (for other departments); both link each other."""
    h = hazards.access_hazard(session, actor, hazard_id)
    return EventLink(event_id=hazard_events.to_event(session, actor, h, category=body.category, note=body.note))


# -- prompts, figures, report --------------------------------------------------------------------------
@router.get("/prompts")
def list_prompts(session: SessionDep, actor: ActorDep, page: PageDep, point_id: int | None = None) -> list[PromptRead]:
    stmt = org.scoped(select(PointPrompt), PointPrompt.unit_path, actor)
    if point_id is not None:
        stmt = stmt.where(PointPrompt.point_id == points.access_point(session, actor, point_id).id)
    rows, _ = paginate(session, stmt.order_by(PointPrompt.id.desc()), page)
    return [PromptRead.model_validate(r) for r in rows]


@router.get("/figures")
def get_figures(session: SessionDep, actor: ActorDep, unit_id: int | None = None) -> FiguresOut:
    """The runway figures for a unit's subtree (default: the caller's unit)."""
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else actor.unit_id or 0)
    f = risk_figures.figures(session, unit.path, clock.now())
    return FiguresOut(
        unit_id=unit.id,
        by_level=f.by_level,
        points=f.points,
        overdue_inspections=f.overdue_inspections,
        open_major_hazards=f.open_major_hazards,
        found_this_year=f.found_this_year,
        closed_this_year=f.closed_this_year,
        rectification_rate=f.rectification_rate,
    )


@router.get(
    "/reports/{unit_id}",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def district_report(unit_id: int, session: SessionDep, actor: ActorDep) -> Response:
    """城市运行安全风险清单 of a district (or street): a summary per unit below, then the list."""
    unit = org.access_unit(session, actor, unit_id)
    data = sheets.district_report(session, actor, unit, clock.now())
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="risk-register-report.xlsx"'},
    )
