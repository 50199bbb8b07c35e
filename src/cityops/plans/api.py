"""Plan routes: configurations per level (with versions, the effective plan for a place, YAML import and
export), runs and their steps, my tasks, emergency direct reports with acknowledgement, notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute, utf8_body
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, count_rows, paginate
from cityops.org import service as org
from cityops.plans import activation, direct, notify, runs
from cityops.plans import service as plans
from cityops.plans import spec as specs
from cityops.plans.models import DirectReport, Notification, Plan, PlanRun, PlanVersion
from cityops.plans.schemas import (
    CloseIn,
    DirectReportDetail,
    EffectiveOut,
    ImportOut,
    MarkedOut,
    NotificationPage,
    NotificationRead,
    PlanDetail,
    PlanIn,
    PlanPage,
    PlanRead,
    ReportIn,
    ReportPage,
    ReportSummary,
    RunDetail,
    RunIn,
    RunPage,
    RunRead,
    StepIn,
    StepRead,
    TaskPage,
    TaskRead,
    UnreadOut,
    VersionRead,
)

router = APIRouter(prefix="/api", tags=["plans"], route_class=TransactionalRoute)
MAX_YAML_MB = 2


# -- configurations ------------------------------------------------------------------------------------


@router.get("/plans")
def list_plans(
    session: SessionDep, actor: ActorDep, page: PageDep, key: Annotated[str | None, Query(max_length=64)] = None
) -> PlanPage:
    """Configurations of the actor's subtree and of the units above it (the templates it inherits)."""
    stmt = select(Plan).where(plans.visible(actor)).order_by(Plan.key, Plan.unit_path)
    if key:
        stmt = stmt.where(Plan.key == key)
    rows, total = paginate(session, stmt, page)
    return PlanPage.of([PlanRead.model_validate(p) for p in rows], total, page)


@router.post("/plans", status_code=200)
def save_plan(body: PlanIn, session: SessionDep, actor: ActorDep) -> PlanRead:
    """Create or change the configuration of a plan at a unit; every change is a new version."""
    unit = org.access_unit(session, actor, body.unit_id) if body.unit_id else org.city(session)
    if unit is None:
        raise Invalid("单位不存在 / unknown unit", field="unit_id", code="plan.invalid_unit_id")
    plan, _ = plans.save(session, actor, body.key, unit, body.spec)
    return PlanRead.model_validate(plan)


@router.get("/plans/effective")
def effective_plan(
    session: SessionDep, actor: ActorDep, key: Annotated[str, Query(max_length=64)], unit_id: int
) -> EffectiveOut:
    """The plan as it would run at this unit: the city template with the overrides above and at it."""
    unit = org.access_unit(session, actor, unit_id)
    resolved = plans.resolve(session, key, unit.path)
    if resolved is None:
        raise plans.PlanNotFound(key=key)
    return EffectiveOut(
        key=key,
        unit_id=unit.id,
        plan=resolved.plan.model_dump(),
        levels=[
            {"plan_id": c.id, "level": c.level, "unit_id": c.unit_id, "version": c.version} for c in resolved.levels
        ],
    )


@router.get("/plans/export", response_class=Response, responses={200: {"content": {"application/yaml": {}}}})
def export_plans(
    session: SessionDep, actor: ActorDep, key: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """The configurations the actor can see, as YAML that `POST /api/plans/import` reads back."""
    text = specs.dump_yaml(plans.export(session, actor, key))
    return Response(text, media_type="application/yaml; charset=utf-8")


@router.post(
    "/plans/import", openapi_extra={"requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}}
)
async def import_plans(request: Request, session: SessionDep, actor: ActorDep) -> ImportOut:
    """YAML `plans: [{key, unit, name, trigger, steps}]`; bad items come back by index with the reason."""
    text = await utf8_body(request, max_mb=MAX_YAML_MB, kind="YAML", code="plan.invalid_body")
    return ImportOut(**plans.import_items(session, actor, specs.load_yaml(text)))


@router.get("/plans/{plan_id}")
def get_plan(plan_id: int, session: SessionDep, actor: ActorDep) -> PlanDetail:
    plan = plans.access(session, actor, plan_id)
    versions = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version.desc())
    )
    return PlanDetail(
        **PlanRead.model_validate(plan).model_dump(), versions=[VersionRead.model_validate(v) for v in versions]
    )


@router.delete("/plans/{plan_id}", status_code=204, response_class=Response)
def delete_override(plan_id: int, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a district or street override: that place inherits again."""
    plans.remove_override(session, actor, plans.access(session, actor, plan_id))
    return Response(status_code=204)


# -- runs --------------------------------------------------------------------------------------------------


def _detail(session: Any, run: PlanRun) -> RunDetail:
    return RunDetail(
        **RunRead.model_validate(run).model_dump(),
        steps=[StepRead.model_validate(s) for s in runs.steps_of(session, run.id)],
    )


@router.post("/plan-runs", status_code=201)
def start_run(body: RunIn, session: SessionDep, actor: ActorDep) -> RunDetail:
    """Start a plan by hand for an event or a unit; `drill: true` runs it as a drill (nothing leaves the system)."""
    run = activation.activate(
        session,
        actor,
        body.plan_key,
        event_id=body.event_id,
        unit_id=body.unit_id,
        drill=body.drill,
        reason=body.reason,
    )
    return _detail(session, run)


@router.get("/plan-runs")
def list_runs(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    event_id: int | None = None,
) -> RunPage:
    stmt = select(PlanRun).where(runs.run_visible(actor)).order_by(PlanRun.id.desc())
    if status:
        stmt = stmt.where(PlanRun.status == status)
    if event_id is not None:
        stmt = stmt.where(PlanRun.event_id == event_id)
    rows, total = paginate(session, stmt, page)
    return RunPage.of([RunRead.model_validate(r) for r in rows], total, page)


@router.get("/plan-runs/{run_id}")
def get_run(run_id: int, session: SessionDep, actor: ActorDep) -> RunDetail:
    return _detail(session, runs.access_run(session, actor, run_id))


@router.post("/plan-runs/{run_id}/steps/{step_id}")
def act_on_step(run_id: int, step_id: int, body: StepIn, session: SessionDep, actor: ActorDep) -> StepRead:
    run = runs.access_run(session, actor, run_id)
    step = runs.finish_step(session, actor, run, step_id, action=body.action, note=body.note, checklist=body.checklist)
    return StepRead.model_validate(step)


@router.post("/plan-runs/{run_id}/close")
def close_run(run_id: int, body: CloseIn, session: SessionDep, actor: ActorDep) -> RunRead:
    run = runs.close_run(session, actor, runs.access_run(session, actor, run_id), body.note)
    return RunRead.model_validate(run)


@router.get("/plan-tasks")
def my_tasks(session: SessionDep, actor: ActorDep, page: PageDep) -> TaskPage:
    """Open plan tasks for the actor's department (or its own centre), earliest deadline first."""
    stmt = runs.my_tasks(actor)
    total = count_rows(session, stmt)
    rows = session.execute(stmt.limit(page.limit).offset(page.offset)).all()
    items = [
        TaskRead(
            **StepRead.model_validate(s).model_dump(),
            run_id=r.id,
            run_name=r.name,
            event_id=r.event_id,
            is_drill=r.is_drill,
        )
        for s, r in rows
    ]
    return TaskPage.of(items, total, page)


# -- direct reports ------------------------------------------------------------------------------------


@router.post("/direct-reports", status_code=201)
def file_report(body: ReportIn, session: SessionDep, actor: ActorDep) -> DirectReportDetail:
    """File an emergency direct report: street, district and city centres are told at once."""
    report, _ = direct.file_report(session, actor, direct.ReportIn(**body.model_dump()))
    return DirectReportDetail.model_validate(direct.timeline(session, report))


@router.get("/direct-reports")
def list_reports(session: SessionDep, actor: ActorDep, page: PageDep) -> ReportPage:
    stmt = select(DirectReport).where(direct.visible(actor)).order_by(DirectReport.id.desc())
    rows, total = paginate(session, stmt, page)
    return ReportPage.of([ReportSummary.model_validate(r) for r in rows], total, page)


@router.get("/direct-reports/{report_id}")
def get_report(report_id: int, session: SessionDep, actor: ActorDep) -> DirectReportDetail:
    """The report with, per level, every time that centre was told and when it acknowledged."""
    return DirectReportDetail.model_validate(direct.timeline(session, direct.access(session, actor, report_id)))


@router.post("/direct-reports/{report_id}/ack")
def acknowledge(report_id: int, session: SessionDep, actor: ActorDep) -> DirectReportDetail:
    report = direct.access(session, actor, report_id)
    direct.acknowledge(session, actor, report)
    return DirectReportDetail.model_validate(direct.timeline(session, report))


# -- notifications -------------------------------------------------------------------------------------


@router.get("/notifications")
def notifications(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    unread: Annotated[bool | None, Query(description="true: only unread; false: only read")] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
) -> NotificationPage:
    """The actor's notifications, newest first, each with whether this user has read it; `after_id` polls
    for new ones."""
    stmt = notify.inbox(actor, unread=unread, kind=kind).where(Notification.id > after_id)
    rows, total = paginate(session, stmt, page)
    read = notify.read_ids(session, actor, [n.id for n in rows])
    items = [NotificationRead.model_validate(n).model_copy(update={"read": n.id in read}) for n in rows]
    return NotificationPage.of(items, total, page, unread=notify.unread_count(session, actor))


@router.post("/notifications/{notification_id}/read")
def mark_read(notification_id: int, session: SessionDep, actor: ActorDep) -> UnreadOut:
    """Mark one notification read for the calling user (others addressed by it still see it unread)."""
    notify.mark_read(session, actor, [notify.access_notification(session, actor, notification_id)])
    return UnreadOut(unread=notify.unread_count(session, actor))


@router.post("/notifications/read-all")
def mark_all_read(session: SessionDep, actor: ActorDep) -> MarkedOut:
    marked = notify.mark_all_read(session, actor)
    return MarkedOut(marked=marked, unread=notify.unread_count(session, actor))
