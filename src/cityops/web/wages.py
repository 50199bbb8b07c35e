"""根治欠薪 in the browser: the overview (KPIs of the viewer's unit, employers, latest cases), an employer's
page (its projects with the wage account and its payments, its cases; a payment and a complaint can be
recorded there) and a case's page (owed, recovered, the recovery form; the closed loop stays on the event
page, linked both ways). Pages call the same services as the API and show only the user's subtree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.events import service as events
from cityops.events.calendar import CST
from cityops.events.views import read_events
from cityops.org.models import OrgUnit
from cityops.wages import cases, kpis, service
from cityops.wages.models import Employer, Project, WageCase
from cityops.wages.views import read_cases, read_payment, read_project
from cityops.web.deps import PageActor, PageForm
from cityops.web.object_pages import ObjectPage
from cityops.web.pages import render
from cityops.web.params import form_date, form_number

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
NAMES = {
    "channels": cases.CHANNELS,
    "channels_en": {
        "citizen": "Citizen",
        "hotline": "12345 hotline",
        "grid_worker": "Grid worker",
        "system": "Account watch",
    },
    "accounts": service.ACCOUNT_STATUS_NAME,
    "accounts_en": {"none": "not opened", "normal": "normal", "frozen": "frozen", "closed": "closed"},
    "kinds": {"complaint": "投诉", "warning": "专户预警"},
    "kinds_en": {"complaint": "Complaint", "warning": "Account warning"},
}


@router.get("/wages", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    first, last = kpis.default_period(clock.now())
    employers = list(session.scalars(service.list_employers(actor).limit(200)))
    counts = dict(
        session.execute(
            select(WageCase.employer_id, func.count()).where(cases.visible(actor)).group_by(WageCase.employer_id)
        ).all()
    )
    latest = list(session.scalars(select(WageCase).where(cases.visible(actor)).order_by(WageCase.id.desc()).limit(20)))
    return render(
        request,
        "wages.html",
        actor=actor,
        kpis=kpis.compute(session, actor, first, last),
        definitions=kpis.DEFINITIONS,
        employers=employers,
        counts=counts,
        latest=read_cases(session, latest),
        employer_names={e.id: e.name for e in employers},
        names_w=NAMES,
    )


def _employer_page(
    request: Request, session: Session, actor: Actor, employer: Employer, error: str = "", status_code: int = 200
) -> HTMLResponse:
    projects = list(session.scalars(service.list_projects(actor, employer.id)))
    unit = session.get(OrgUnit, employer.unit_id)
    return render(
        request,
        "wage_employer.html",
        status_code=status_code,
        actor=actor,
        employer=employer,
        unit_name=unit.name if unit else "",
        projects=[
            (read_project(session, p), [read_payment(x) for x in service.payments_of(session, p.id)]) for p in projects
        ],
        cases=read_cases(session, cases.cases_of(session, actor, employer_id=employer.id)),
        may_edit=actor.has(*service.EDITORS),
        error=error,
        names_w=NAMES,
    )


EMPLOYER = ObjectPage(service.access_employer, _employer_page, "/wages/employers/{id}")


@router.get("/wages/employers/{employer_id}", response_class=HTMLResponse)
def employer_page(employer_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return EMPLOYER.show(request, session, actor, employer_id)


def _project_page(
    request: Request, session: Session, actor: Actor, project: Project, error: str = "", status_code: int = 200
) -> HTMLResponse:
    """A project is shown on its employer's page."""
    return EMPLOYER.show(request, session, actor, project.employer_id, error, status_code)


# A change to a project returns where to go next ("/wages" is not reached: every change names its page).
PROJECT = ObjectPage(service.access_project, _project_page, "/wages")


@router.post("/wages/projects/{project_id}/payments", response_class=HTMLResponse)
def add_payment(
    project_id: int,
    form: PageForm,
    paid_on: Annotated[str, Form(max_length=10)] = "",
    amount_yuan: Annotated[str, Form(max_length=20)] = "",
    workers: Annotated[str, Form(max_length=8)] = "",
    wage_month: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    def change(project: Project) -> str:
        service.record_payment(
            form.session,
            form.actor,
            project,
            paid_on=form_date(paid_on, "paid_on"),
            amount_yuan=form_number(amount_yuan, "amount_yuan"),
            workers=int(form_number(workers, "workers")),
            wage_month=wage_month.strip(),
        )
        return f"/wages/employers/{project.employer_id}#project-{project.id}"

    return PROJECT.change(form, project_id, change)


@router.post("/wages/projects/{project_id}/complaints", response_class=HTMLResponse)
def add_complaint(
    project_id: int,
    form: PageForm,
    channel: Annotated[str, Form(max_length=16)] = "hotline",
    workers: Annotated[str, Form(max_length=8)] = "",
    amount_owed_yuan: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    reporter_name: Annotated[str, Form(max_length=40)] = "",
    reporter_phone: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A complaint taken at the desk or on the 12345 line, about this project."""

    def change(project: Project) -> str:
        item = cases.ComplaintInput(
            description=description,
            workers=int(form_number(workers, "workers")),
            amount_owed_yuan=form_number(amount_owed_yuan, "amount_owed_yuan"),
            channel=channel,
            project_id=project.id,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            is_demo=project.is_demo,
        )
        return f"/wages/cases/{cases.file_complaint(form.session, form.actor, item).event_id}"

    return PROJECT.change(form, project_id, change)


def _case_page(
    request: Request, session: Session, actor: Actor, case: WageCase, error: str = "", status_code: int = 200
) -> HTMLResponse:
    event = events.access_event(session, actor, case.event_id)
    employer = session.get(Employer, case.employer_id) if case.employer_id else None
    project = session.get(Project, case.project_id) if case.project_id else None
    return render(
        request,
        "wage_case.html",
        status_code=status_code,
        actor=actor,
        case=read_cases(session, [case])[0],
        event=read_events(session, [event])[0],
        employer=employer,
        project=project,
        may_record=actor.has(*cases.RECORDERS) and event.status not in ("closed", "voided", "merged"),
        today=clock.now().astimezone(CST).date().isoformat(),
        error=error,
        names_w=NAMES,
    )


CASE = ObjectPage(cases.access_case, _case_page, "/wages/cases/{id}")


@router.get("/wages/cases/{event_id}", response_class=HTMLResponse)
def case_page(event_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return CASE.show(request, session, actor, event_id)


@router.post("/wages/cases/{event_id}/recovery", response_class=HTMLResponse)
def record_recovery(
    event_id: int,
    form: PageForm,
    amount_recovered_yuan: Annotated[str, Form(max_length=20)] = "",
    paid_on: Annotated[str, Form(max_length=10)] = "",
    workers_paid: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    def change(case: WageCase) -> None:
        cases.record_recovery(
            form.session,
            form.actor,
            case,
            recovered_yuan=form_number(amount_recovered_yuan, "amount_recovered_yuan"),
            paid_on=form_date(paid_on, "paid_on"),
            workers_paid=int(form_number(workers_paid, "workers_paid")) if workers_paid.strip() else None,
            note=note,
        )

    return CASE.change(form, event_id, change)
