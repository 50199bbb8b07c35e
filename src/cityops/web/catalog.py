"""数据资源目录 pages: catalogue search, an entry with its request form, my requests, requests to me
(with their deadlines and the answer form), reading granted data, and the capability-component shelf.
They call the same services as the API, so scoping and every rule are the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from cityops.catalog import components, grants, requests, service, sources
from cityops.catalog.models import CatalogEntry, DataRequest, EntryState, RequestState
from cityops.catalog.permissions import holds, is_party, is_provider
from cityops.catalog.schemas import AnswerIn, RequestIn
from cityops.catalog.vocab import (
    COMPONENT_KINDS,
    COMPONENT_STATUS_LABELS,
    OPEN_LABELS,
    REQUEST_LABELS,
    SHARE_LABELS,
    STATE_LABELS,
)
from cityops.core import clock
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError, Conflict, Invalid
from cityops.core.pagination import PageParams, paginate
from cityops.events.calendar import CST
from cityops.web.deps import PageActor, PageForm, PageFormContext
from cityops.web.pages import change_or_show, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
LABELS = {
    "share": SHARE_LABELS,
    "open": OPEN_LABELS,
    "state": STATE_LABELS,
    "request": REQUEST_LABELS,
    "kinds": COMPONENT_KINDS,
    "component": COMPONENT_STATUS_LABELS,
}
PAGE_SIZE = 30


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"labels": LABELS, **extra}


@router.get("/catalog", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    stmt = service.list_entries(actor, service.EntryFilter(q=q))
    rows, total = paginate(session, stmt, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    counts = {e.id: sources.record_count(session, e) for e in rows}
    return render(
        request,
        "catalog_search.html",
        **_ctx(actor=actor, q=q, items=rows, total=total, counts=counts, page=page, more=page * PAGE_SIZE < total),
    )


def _entry_context(session: SessionDep, actor: Any, entry: CatalogEntry, **extra: Any) -> dict[str, Any]:
    mine = session.scalars(
        requests.list_requests(actor, box="mine").where(DataRequest.entry_id == entry.id).limit(20)
    ).all()
    grants = {r.id: requests.grant_of(session, r) for r in mine}
    return _ctx(
        actor=actor,
        entry=entry,
        items=service.visible_items(entry, actor),
        count=sources.record_count(session, entry),
        manages=service.manages(actor, entry),
        can_request=holds(actor, "request.submit")
        and entry.state == EntryState.published
        and entry.share_type != "none"
        and not is_provider(actor, entry.department_id, entry.unit_id),
        shareable=service.shareable_fields(entry),
        corrections=service.corrections(session, actor, entry),
        mine=mine,
        grants=grants,
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/catalog/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    entry = service.access_entry(session, actor, entry_id)
    return render(request, "catalog_entry.html", **_entry_context(session, actor, entry))


def _entry_again(form: PageFormContext, entry: CatalogEntry, status_code: int, /, **extra: Any) -> HTMLResponse:
    """The entry's page again after one of its forms was refused, with what `extra` says beside that form (its
    `form`: the values entered)."""
    ctx = _entry_context(form.session, form.actor, entry, **extra)
    return render(form.request, "catalog_entry.html", status_code=status_code, **ctx)


@router.post("/catalog/entries/{entry_id}/request", response_class=HTMLResponse)
def request_from_page(
    entry_id: int,
    form: PageForm,
    purpose: Annotated[str, Form(max_length=2000)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
    use_from: Annotated[str, Form(max_length=10)] = "",
    use_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    entry = service.access_entry(form.session, form.actor, entry_id)
    entered = {"purpose": purpose, "fields": fields or [], "use_from": use_from, "use_until": use_until}
    try:
        data = RequestIn(
            entry_id=entry.id, purpose=purpose, fields=fields or [], use_from=use_from, use_until=use_until
        )
        row = requests.submit(form.session, form.actor, data)
    except ValidationError as exc:
        return _entry_again(form, entry, 422, form=entered, error=_plain_error(exc))
    except CityOpsError as exc:
        return _entry_again(form, entry, exc.status_code, form=entered, error=exc.detail)
    return RedirectResponse(f"/catalog/requests/{row.id}", status_code=303)


def _plain_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = {"purpose": "用途", "use_from": "使用期限（起）", "use_until": "使用期限（止）"}.get(
        str(first["loc"][0]) if first["loc"] else "", ""
    )
    if first["type"] == "string_too_short":
        return f"请填写{where}（至少4个字） / {where or 'field'} is too short"
    if first["type"].startswith("date"):
        return f"请填写正确的{where}（如 2026-01-01） / a date is needed"
    return str(first["msg"]).removeprefix("Value error, ")


@router.post("/catalog/entries/{entry_id}/corrections", response_class=HTMLResponse)
def correction_from_page(
    entry_id: int,
    form: PageForm,
    field: Annotated[str, Form(max_length=40)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """纠错 from the entry page: what is wrong, and where."""
    entry = service.access_entry(form.session, form.actor, entry_id)
    if len(text.strip()) < 2 or not field.strip():
        return _entry_again(form, entry, 422, correction_error="请写明纠错内容 / describe what is wrong")
    service.file_correction(form.session, form.actor, entry, field.strip(), text.strip())
    return RedirectResponse(f"/catalog/entries/{entry.id}?corrected=1", status_code=303)


@router.get("/catalog/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    box: Annotated[str, Query(pattern="^(mine|inbox)$")] = "mine",
) -> HTMLResponse:
    rows = session.scalars(requests.list_requests(actor, box=box).limit(200)).all()
    titles = _titles(session, rows)
    return render(
        request, "catalog_requests.html", **_ctx(actor=actor, box=box, items=rows, titles=titles, now=clock.now())
    )


def _titles(session: SessionDep, rows: Any) -> dict[int, str]:
    ids = {r.entry_id for r in rows if r.entry_id}
    return {e.id: e.title for e in (session.get(CatalogEntry, i) for i in ids) if e is not None}


def _request_context(session: SessionDep, actor: Any, row: DataRequest, **extra: Any) -> dict[str, Any]:
    entry = session.get(CatalogEntry, row.entry_id) if row.entry_id else None
    grant = requests.grant_of(session, row)
    labels = {i["name"]: i["label"] for i in (entry.items if entry else [])}
    return _ctx(
        actor=actor,
        r=row,
        entry=entry,
        grant=grant,
        field_labels=labels,
        can_answer=row.state == RequestState.submitted
        and holds(actor, "request.answer")
        and is_provider(actor, row.provider_department_id, row.provider_unit_id),
        can_read=grant is not None and is_party(actor, grant.grantee_unit_id, grant.grantee_department_id),
        # The grant's period in China days, as the read itself checks it: before it, or after, no button.
        grant_today=grants.period_state(grant) if grant is not None else "",
        can_revoke=grant is not None
        and grant.revoked_at is None
        and holds(actor, "grant.revoke")
        and is_provider(actor, row.provider_department_id, row.provider_unit_id),
        due_local=row.due_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
        **extra,
    )


@router.get("/catalog/requests/{request_id}", response_class=HTMLResponse)
def request_page(request_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    row = requests.access_request(session, actor, request_id)
    return render(request, "catalog_request.html", **_request_context(session, actor, row))


@router.post("/catalog/requests/{request_id}/answer", response_class=HTMLResponse)
def answer_from_page(
    request_id: int,
    form: PageForm,
    decision: Annotated[str, Form(pattern="^(approve|approve_with_conditions|refuse)$")],
    fields: Annotated[list[str] | None, Form()] = None,
    conditions: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def change(row: Any) -> None:
        data = AnswerIn(
            decision=decision, fields=fields if decision != "refuse" else None, conditions=conditions, reason=reason
        )
        requests.answer(form.session, form.actor, row, data)

    return _on_request(form, request_id, change, "error")


@router.post("/catalog/requests/{request_id}/revoke", response_class=HTMLResponse)
def revoke_from_page(request_id: int, form: PageForm, reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The provider withdraws a grant (e.g. the data is used beyond the stated purpose)."""

    def change(row: Any) -> None:
        grant = requests.grant_of(form.session, row)
        if grant is None:
            raise Conflict("该申请没有授权 / no grant to revoke", code="catalog.no_grant")
        if len(reason.strip()) < 2:
            raise Invalid("请写明撤销理由 / a reason is required", field="reason", code="catalog.reason_required")
        grants.revoke(form.session, form.actor, grant, reason.strip())

    return _on_request(form, request_id, change, "revoke_error")


def _on_request(form: PageFormContext, request_id: int, change: Callable[[Any], None], error_key: str) -> Response:
    """A change on a data request from its page: on to the request, or its page again with the reason under
    `error_key` (the answer form's or the revoke form's)."""

    def show(row: Any, error: str, status: int) -> Response:
        ctx = _request_context(form.session, form.actor, row, **{error_key: error})
        return render(form.request, "catalog_request.html", status_code=status, **ctx)

    return change_or_show(
        form.session,
        lambda: requests.access_request(form.session, form.actor, request_id),
        change,
        show,
        f"/catalog/requests/{request_id}",
    )


@router.get("/catalog/grants/{grant_id}", response_class=HTMLResponse)
def grant_page(
    grant_id: int,
    request: Request,
    session: SessionDep,
    actor: PageActor,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Reading granted data on a page is a read like through the API: audited, exactly the granted fields."""
    grant = grants.access_grant(session, actor, grant_id)
    result = grants.read(session, actor, grant, limit=PAGE_SIZE * 2, offset=(page - 1) * PAGE_SIZE * 2)
    labels = {i["name"]: i["label"] for i in result.entry.items}
    more = page * PAGE_SIZE * 2 < result.total
    return render(
        request,
        "catalog_grant.html",
        **_ctx(actor=actor, grant=grant, result=result, labels_of=labels, page=page, more=more),
    )


@router.get("/catalog/components", response_class=HTMLResponse)
def component_shelf(
    request: Request, session: SessionDep, actor: PageActor, kind: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    rows = session.scalars(components.list_components(actor, kind=kind or None).limit(500)).all()
    return render(request, "catalog_components.html", **_ctx(actor=actor, items=rows, kind=kind))
