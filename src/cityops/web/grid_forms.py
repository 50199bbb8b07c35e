"""一表通 on the phone: the reports my units fill, the base records of my grids' communities, and one form
per record that shows every fact already filled (by anyone, for any report) so nothing is asked twice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError
from cityops.grid import forms
from cityops.grid.form_models import RECORD_KINDS
from cityops.web.deps import PageActor, PageForm
from cityops.web.grid_mobile import _worker
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/m/forms", response_class=HTMLResponse)
def forms_home(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    _worker(actor)
    templates = list(session.scalars(forms.list_templates(session, actor).limit(100)))
    records = list(session.scalars(forms.list_records(session, actor).limit(300)))
    return render(request, "m_forms.html", actor=actor, templates=templates, records=records, kinds=RECORD_KINDS)


def _form_page(
    request: Request, session: Any, actor: Any, template_id: int, record_id: int, **extra: Any
) -> HTMLResponse:
    template = forms.access_template(session, actor, template_id)
    record = forms.access_record(session, actor, record_id)
    fields = forms.fields_of(session, template)
    facts = forms.facts_of(session, [record.id])
    return render(
        request,
        "m_form_fill.html",
        actor=actor,
        template=template,
        record=record,
        fields=fields,
        facts={fid: f for (_, fid), f in facts.items()},
        **extra,
    )


@router.get("/m/forms/{template_id}/records/{record_id}", response_class=HTMLResponse)
def form_page(
    template_id: int, record_id: int, request: Request, session: SessionDep, actor: PageActor
) -> HTMLResponse:
    _worker(actor)
    return _form_page(request, session, actor, template_id, record_id)


@router.post("/m/forms/{template_id}/records/{record_id}", response_class=HTMLResponse)
def form_submit(template_id: int, record_id: int, form: PageForm) -> Response:
    """Save the facts of one record (the field names are the template's, so the form is read as a whole)."""
    session, actor = form.session, form.actor
    _worker(actor)
    values = {k[2:]: str(v) for k, v in form.fields.items() if k.startswith("f_") and isinstance(v, str)}
    try:
        template = forms.access_template(session, actor, template_id)
        allowed = {f.code for f in forms.fields_of(session, template)}
        record = forms.access_record(session, actor, record_id)
        forms.fill(session, actor, record, {k: v[:1000] for k, v in values.items() if k in allowed})
    except CityOpsError as exc:
        session.rollback()
        return _form_page(
            form.request, session, actor, template_id, record_id, error=exc.detail, status_code=exc.status_code
        )
    return RedirectResponse(f"/m/forms/{template_id}/records/{record_id}?saved=1", status_code=303)
