"""AI on the pages: the citizen form's category suggestion and similar open reports (htmx, as they type),
the dispatcher accepting a suggestion, summaries (htmx), and the admin page of model versions, the live
one and the auto-dispatch thresholds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cityops.ai import assist, auto, duplicates, hotspots, materials, service, summary, training
from cityops.core import clock
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.core.hooks import hooks_of
from cityops.core.pii import mask_text
from cityops.events import catalogue
from cityops.events import service as events
from cityops.org import geo
from cityops.web.deps import PageActor, PageForm
from cityops.web.pages import change_or_show, render
from cityops.web.public import _limit as limit_public

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/public/report/assist", response_class=HTMLResponse)
def public_assist(
    request: Request,
    session: SessionDep,
    description: Annotated[str, Query(max_length=2000)] = "",
    address: Annotated[str, Query(max_length=300)] = "",
    lon: Annotated[str, Query(max_length=20)] = "",
    lat: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """As the citizen types: the likeliest categories (a tap picks one) and similar open reports nearby."""
    limit_public(request)
    text = description.strip()
    s = service.suggest(session, f"{text} {address}".strip()) if len(text) >= 4 else None
    similar = []
    if len(text) >= 4:
        x, y = _float(lon), _float(lat)
        path = None
        if x is None and address.strip():
            found = geo.resolve_text(geo.index(session), address)
            path = found.path if found is not None and found.level in ("community", "grid", "street") else None
        if x is not None or path is not None:
            similar = duplicates.similar_open(session, text, at=clock.now(), lon=x, lat=y, unit_path=path, limit=3)
    return render(
        request,
        "public_assist.html",
        suggestions=s,
        similar=[(mask_text(d.event.title), d.event.received_at) for d in similar],
    )


def _float(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


@router.post("/events/{event_id}/ai-accept")
def accept_suggestion(
    event_id: int,
    form: PageForm,
    code: Annotated[str, Form(max_length=64)],
    version: Annotated[int | None, Form()] = None,
) -> Response:
    return change_or_show(
        form.session,
        lambda: events.access_event(form.session, form.actor, event_id),
        lambda event: assist.accept(form.session, form.actor, event, code, version=version),
        lambda _, error, __: RedirectResponse(f"/events/{event_id}?ai_error={quote(error)}", status_code=303),
        f"/events/{event_id}",
    )


def _summary_page(request: Request, session: Session, material: tuple[str, list[str]]) -> HTMLResponse:
    """The htmx fragment of a summary of `material` (a title and its lines), by the configured summarizer."""
    title, lines = material
    return render(request, "ai_summary.html", summary=summary.summarize(hooks_of(session).settings, title, lines))


@router.get("/events/{event_id}/ai-summary", response_class=HTMLResponse)
def event_summary(event_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    event = events.access_event(session, actor, event_id)
    return _summary_page(request, session, materials.event_material(session, event))


@router.get("/ai/hotspots/{spot_id}/summary", response_class=HTMLResponse)
def hotspot_summary(spot_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    spot = hotspots.access_hotspot(session, actor, spot_id)
    return _summary_page(request, session, materials.hotspot_material(session, spot))


@router.get("/ai/streets/{unit_id}/summary", response_class=HTMLResponse)
def street_day_summary(unit_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    """Today's reports of a street (China time), summarized."""
    from cityops.events.metrics import local_day
    from cityops.org import service as org

    street = org.access_unit(session, actor, unit_id)
    return _summary_page(
        request, session, materials.street_day_material(session, actor, street, local_day(clock.now()))
    )


@router.get("/ai", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, actor: PageActor, error: str = "") -> HTMLResponse:
    view = catalogue.view(session)
    limits = service.thresholds(session)
    return render(
        request,
        "ai_admin.html",
        actor=actor,
        models=service.list_models(session),
        figures_text=training.figures_text,
        is_admin=actor.has(*service.ADMINS),
        categories=sorted(view.by_code.values(), key=lambda c: c.code),
        thresholds={view.by_id[c].code: t for c, t in limits.items() if c in view.by_id},
        auto=auto.auto_dispatch_figures(session, actor),
        closed=training.closed_count(session),
        min_events=training.MIN_EVENTS,
        error=error,
    )


def _back(error: str = "") -> RedirectResponse:
    return RedirectResponse("/ai" + (f"?error={quote(error)}" if error else ""), status_code=303)


def _on_admin(session: Session, change: Callable[[], object]) -> Response:
    """An admin form: back to /ai, with the refusal in its address when refused (rolled back)."""
    return change_or_show(session, lambda: None, lambda _: change(), lambda _, error, __: _back(error), "/ai")


@router.post("/ai/train")
def admin_train(form: PageForm) -> Response:

    def change() -> None:
        service.require_admin(form.actor)
        training.train_version(form.session, form.actor, note="管理员手动训练 / on demand")

    return _on_admin(form.session, change)


@router.post("/ai/models/{model_id}/activate")
def admin_activate(model_id: int, form: PageForm) -> Response:
    service.require_admin(form.actor)
    service.activate(form.session, form.actor, service.access_model(form.session, model_id))
    return _back()


@router.post("/ai/thresholds")
def admin_threshold(
    form: PageForm, category: Annotated[str, Form(max_length=64)], threshold: Annotated[str, Form(max_length=8)] = ""
) -> Response:
    def change() -> None:
        try:
            value = float(threshold) if threshold.strip() else None
        except ValueError:
            raise Invalid(
                "阈值须为 0.5 到 1 之间的数 / a number between 0.5 and 1", field="threshold", code="page.not_a_number"
            ) from None
        service.set_threshold(form.session, form.actor, category, value)

    return _on_admin(form.session, change)
