"""突发事件直报 in the browser: the report form for grid workers and staff, and the acknowledgement button
of a notified centre on the event page (its plan tasks are done in web/plan_runs)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.events import catalogue
from cityops.plans import direct
from cityops.web.deps import PageActor, PageForm
from cityops.web.pages import change_or_show, local_url, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


def _urgent_categories(session: SessionDep) -> list[tuple[str, str]]:
    view = catalogue.view(session)
    return sorted((c.code, c.name) for c in view.by_code.values() if c.default_severity == "urgent")


@router.get("/direct-report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    # A key per form: a double submit (or a retry after a dropped connection) files one report, not two.
    form = {"idempotency_key": secrets.token_urlsafe(16)}
    return render(request, "direct_report.html", actor=actor, categories=_urgent_categories(session), form=form)


@router.post("/direct-report", response_class=HTMLResponse)
def file_report(
    form: PageForm,
    category: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=4000)],
    address: Annotated[str, Form(max_length=300)] = "",
    drill: Annotated[str, Form(max_length=4)] = "",
    idempotency_key: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    data = direct.ReportIn(
        category=category,
        title=title.strip(),
        description=description.strip(),
        address=address.strip(),
        idempotency_key=idempotency_key or None,
        drill=drill == "on",
    )

    def change(_nothing: None) -> str:
        if not data.title or not data.description:
            raise Invalid(
                "请填写标题和情况描述 / title and description are required", field="title", code="page.invalid_title"
            )
        report, _ = direct.file_report(form.session, form.actor, data)
        return f"/events/{report.event_id}"

    def show(_: None, error: str, status: int) -> Response:
        categories = _urgent_categories(form.session)
        return render(
            form.request,
            "direct_report.html",
            status_code=status,
            actor=form.actor,
            error=error,
            categories=categories,
            form=data.__dict__,
        )

    return change_or_show(form.session, lambda: None, change, show, "/direct-report")


@router.post("/direct-reports/{report_id}/ack")
def acknowledge(report_id: int, form: PageForm, next: Annotated[str, Form(max_length=300)] = "") -> RedirectResponse:
    """确认收到, from the event page or from the banner on any page (which returns to that page)."""
    report = direct.access(form.session, form.actor, report_id)
    direct.acknowledge(form.session, form.actor, report)
    return RedirectResponse(local_url(next, f"/events/{report.event_id}"), status_code=303)
