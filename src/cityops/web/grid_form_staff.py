"""一表通 for staff: the report templates the viewer's units fill or requested (fields with their owners,
each report's rows from the shared facts, XLSX export), and — for leaders — an indicator defined over one
of a template's fields, which joins the 基层智治 board's 一表通 runway."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError, Invalid
from cityops.grid import forms
from cityops.grid.figures import AGGREGATES
from cityops.grid.form_models import RECORD_KINDS
from cityops.indicators import custom
from cityops.web.deps import PageActor, PageForm
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
PERIOD_NAMES = {
    "now": "当前（全部现有填报）",
    "today": "今日（北京时间）",
    "30d": "近30日",
    "month": "本月",
    "year": "本年",
}


def _page(request: Request, session: Session, actor: Actor, status_code: int = 200, **extra: Any) -> HTMLResponse:
    templates = list(session.scalars(forms.list_templates(session, actor).limit(100)))
    return render(
        request,
        "grid_form_staff.html",
        status_code=status_code,
        actor=actor,
        templates=[
            {"t": t, "fields": forms.fields_of(session, t), "rows": len(forms.report(session, actor, t).rows)}
            for t in templates
        ],
        kinds=RECORD_KINDS,
        aggregates=AGGREGATES,
        periods=PERIOD_NAMES,
        may_define=actor.has(Role.leader, Role.sysadmin),
        **extra,
    )


@router.get("/grid/forms", response_class=HTMLResponse)
def forms_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/grid/forms/{template_id}/indicators", response_class=HTMLResponse)
def define_indicator(
    template_id: int,
    form: PageForm,
    name: Annotated[str, Form(max_length=80)] = "",
    field: Annotated[str, Form(max_length=64)] = "",
    agg: Annotated[str, Form(max_length=10)] = "count",
    equals: Annotated[str, Form(max_length=80)] = "",
    period: Annotated[str, Form(max_length=8)] = "now",
    unit: Annotated[str, Form(max_length=16)] = "个",
) -> Response:
    try:
        if period not in PERIOD_NAMES:
            raise Invalid("统计期无效 / unknown period", field="period", code="page.invalid_period")
        source = {"template": template_id, "field": field, "agg": agg, "equals": equals}
        ind = custom.define_form_indicator(form.session, form.actor, name=name, source=source, period=period, unit=unit)
    except CityOpsError as exc:
        form.session.rollback()
        return _page(
            form.request, form.session, form.actor, status_code=exc.status_code, error=exc.detail, failed=template_id
        )
    return RedirectResponse(f"/indicators/{ind.id}", status_code=303)
