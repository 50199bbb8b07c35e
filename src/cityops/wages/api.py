"""根治欠薪 routes: employers and projects (credit codes checked), wage-account payments, complaints,
the recovery of a case, the no-payment warning run, and the KPIs of the viewer's unit."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cityops.core import clock
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.pagination import PageDep
from cityops.events.calendar import kpi_period
from cityops.wages import cases, kpis, service
from cityops.wages.schemas import (
    CaseRead,
    ComplaintCreate,
    EmployerCreate,
    EmployerDetail,
    EmployerRead,
    KpisOut,
    PaymentCreate,
    PaymentRead,
    ProjectCreate,
    ProjectDetail,
    ProjectRead,
    RecoveryIn,
)
from cityops.wages.views import read_cases, read_payment, read_project

router = APIRouter(prefix="/api/wages", tags=["wages"], route_class=TransactionalRoute)


@router.post("/employers", status_code=201)
def create_employer(body: EmployerCreate, session: SessionDep, actor: ActorDep) -> EmployerRead:
    """Register an employer; a credit code failing GB 32100-2015's check is refused naming `credit_code`."""
    employer = service.register_employer(session, actor, service.EmployerInput(**body.model_dump()))
    return EmployerRead.model_validate(employer)


@router.get("/employers")
def list_employers(
    session: SessionDep, actor: ActorDep, page: PageDep, q: Annotated[str, Query(max_length=100)] = ""
) -> list[EmployerRead]:
    rows = session.scalars(service.list_employers(actor, q).limit(page.limit).offset(page.offset))
    return [EmployerRead.model_validate(e) for e in rows]


@router.get("/employers/{employer_id}")
def get_employer(employer_id: int, session: SessionDep, actor: ActorDep) -> EmployerDetail:
    employer = service.access_employer(session, actor, employer_id)
    projects = list(session.scalars(service.list_projects(actor, employer.id)))
    return EmployerDetail(
        employer=EmployerRead.model_validate(employer),
        projects=[read_project(session, p) for p in projects],
        cases=read_cases(session, cases.cases_of(session, actor, employer_id=employer.id)),
    )


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, session: SessionDep, actor: ActorDep) -> ProjectRead:
    project = service.register_project(session, actor, service.ProjectInput(**body.model_dump()))
    return read_project(session, project)


@router.get("/projects/{project_id}")
def get_project(project_id: int, session: SessionDep, actor: ActorDep) -> ProjectDetail:
    project = service.access_project(session, actor, project_id)
    return ProjectDetail(
        project=read_project(session, project),
        payments=[read_payment(p) for p in service.payments_of(session, project.id)],
        cases=read_cases(session, cases.cases_of(session, actor, project_id=project.id)),
    )


@router.post("/projects/{project_id}/payments", status_code=201)
def add_payment(project_id: int, body: PaymentCreate, session: SessionDep, actor: ActorDep) -> PaymentRead:
    project = service.access_project(session, actor, project_id)
    return read_payment(service.record_payment(session, actor, project, **body.model_dump()))


@router.post("/complaints", status_code=201)
def file_complaint(body: ComplaintCreate, session: SessionDep, actor: ActorDep) -> CaseRead:
    """A complaint naming the project (or the employer's credit code), the workers and the amount owed;
    it becomes a 拖欠工资 event routed to the 人力社保 of the project's district."""
    case = cases.file_complaint(session, actor, cases.ComplaintInput(**body.model_dump()))
    return read_cases(session, [case])[0]


@router.get("/cases/{event_id}")
def get_case(event_id: int, session: SessionDep, actor: ActorDep) -> CaseRead:
    return read_cases(session, [cases.access_case(session, actor, event_id)])[0]


@router.post("/cases/{event_id}/recovery")
def record_recovery(event_id: int, body: RecoveryIn, session: SessionDep, actor: ActorDep) -> CaseRead:
    """追回金额 and 支付日期 (needed before the event can be closed)."""
    case = cases.access_case(session, actor, event_id)
    cases.record_recovery(
        session,
        actor,
        case,
        recovered_yuan=body.amount_recovered_yuan,
        paid_on=body.paid_on,
        workers_paid=body.workers_paid,
        note=body.note,
    )
    return read_cases(session, [case])[0]


@router.get("/kpis")
def wage_kpis(
    session: SessionDep,
    actor: ActorDep,
    first: Annotated[date | None, Query()] = None,
    last: Annotated[date | None, Query()] = None,
) -> KpisOut:
    """The KPIs (docs/kpis.md) of the viewer's subtree over China days [first, last]; default last 30 days."""
    first, last = kpi_period(first, last, kpis.default_period(clock.now()), code="wages.invalid_period")
    return KpisOut(**kpis.compute(session, actor, first, last).as_dict())
