"""民呼我为: the public, mobile-first pages — report a problem, track it by reference, rate, reopen.

No account: tracking needs the reference plus the last four digits of the phone given at submission, or —
without a phone — the tracking code printed on the receipt (references are sequential, so guessable).
Rate limits per client address; a honeypot field catches form-filling bots; phones are always masked.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError, Invalid, NotFound
from cityops.core.pii import mask_text
from cityops.core.ratelimit import RateLimiter
from cityops.events import catalogue, tracking
from cityops.events import service as events
from cityops.events.intake import IntakeItem, intake_one
from cityops.events.models import Category, Event, EventLog, Source
from cityops.org.models import OrgUnit, UnitGeometry
from cityops.web import category_fields
from cityops.web.deps import FormContext, checked_form
from cityops.web.pages import render
from cityops.web.public_forms import FIELDS, FormError, form_errors, number, plain

router = APIRouter(prefix="/public", route_class=TransactionalRoute, include_in_schema=False)
PUBLIC_ACTOR = Actor(user_id=None, username="public:web", roles=frozenset({Role.citizen}))


class TrackFailed(NotFound):
    message = "未找到该编号，或手机号后四位（查询码）不符。"
    default_code = "page.track_failed"


def _limit(request: Request) -> None:
    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    if limiter is None:
        limiter = request.app.state.public_limiter = RateLimiter(request.app.state.settings.public_per_minute)
    limiter.check(f"ip:{request.client.host if request.client else 'unknown'}")


async def citizen_form(request: Request, session: SessionDep) -> FormContext:
    """A citizen's form: rate-limited per address, then its CSRF token checked."""
    _limit(request)
    return FormContext(request, session, await checked_form(request))


CitizenForm = Annotated[FormContext, Depends(citizen_form)]


def _categories(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    view = catalogue.view(session)
    families = list(
        session.execute(
            select(Category.code, Category.name).where(Category.parent_id.is_(None)).order_by(Category.code)
        )
    )
    return [
        (name, [(c.code, c.name) for c in sorted(view.by_code.values(), key=lambda c: c.code) if c.family_code == code])
        for code, name in families
    ]


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _report_page(request, session, {}, {})


@router.post("/report", response_class=HTMLResponse)
def report_submit(
    form: CitizenForm,
    category: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    lon: Annotated[str, Form(max_length=20)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    photo_name: Annotated[str, Form(max_length=200)] = "",
    photo_size: Annotated[str, Form(max_length=12)] = "",
    website: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    entered = {
        "category": category,
        "description": description,
        "address": address,
        "lon": lon,
        "lat": lat,
        "name": name,
        "phone": phone,
    }
    typed = category_fields.entered(form.fields, form.session, category)
    if website:  # the honeypot: people never see this field, bots fill it
        return _form_again(form.request, form.session, entered, typed, FormError("提交未被接受。", field=""), 400)
    try:
        point, unreadable = (number(lon), number(lat)), ""
    except FormError as exc:  # the map's hidden fields tampered with: told beside the map
        point, unreadable = (None, None), exc.detail
    errors = form_errors(
        form.session,
        category=category,
        description=description,
        point=point,
        address=address,
        phone=phone,
        typed=typed,
    )
    if unreadable:
        errors["location"] = unreadable
    if errors:
        return _report_page(form.request, form.session, entered, typed, errors, 422)
    try:
        item = IntakeItem(
            category=category,
            description=description,
            source=Source.citizen,
            address=address,
            lon=point[0],
            lat=point[1],
            reporter_name=name,
            reporter_phone=phone.strip(),
            attributes=category_fields.attributes(typed, form.session, category),
            attachments=[{"name": photo_name[:200], "size": photo_size[:12]}] if photo_name else [],
        )
        result = intake_one(form.session, PUBLIC_ACTOR, item)
    except FormError as exc:
        return _form_again(form.request, form.session, entered, typed, exc, 422)
    except CityOpsError as exc:
        return _form_again(form.request, form.session, entered, typed, plain(exc), 422)
    event = form.session.get(Event, result.event_id)
    assert event is not None
    code = tracking.issue_code(event) if not event.reporter_phone else ""
    return render(
        form.request, "public_receipt.html", event=event, phone=events.mask_phone(event.reporter_phone), code=code
    )


def _report_page(
    request: Request,
    session: Session,
    form: dict[str, str],
    typed: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "public_report.html",
        status_code=status,
        categories=_categories(session),
        category_specs=category_fields.specs_by_category(session),
        form=form,
        typed=typed,
        errors=errors or {},
    )


def _form_again(
    request: Request, session: Session, form: dict[str, str], typed: dict[str, str], exc: FormError, status: int
) -> HTMLResponse:
    field = str(exc.data.get("field", ""))
    placed = field in FIELDS or field.startswith(category_fields.PREFIX)
    return _report_page(request, session, form, typed, {field if placed else "form": exc.detail}, status)


@router.get("/districts.geojson", response_class=JSONResponse)
def districts(session: SessionDep) -> JSONResponse:
    """Chongqing's district outlines for the pin picker (public boundary data, cached by the browser)."""
    rows = session.execute(
        select(OrgUnit.name, UnitGeometry.geojson).join(UnitGeometry, UnitGeometry.unit_id == OrgUnit.id)
    )
    features = [{"type": "Feature", "properties": {"name": name}, "geometry": json.loads(g)} for name, g in rows]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, headers={"Cache-Control": "public, max-age=86400"}
    )


def _find(session: Session, ref: str, secret: str) -> Event:
    event = session.scalars(select(Event).where(Event.ref == ref.strip(), Event.is_drill.is_(False))).one_or_none()
    if event is None or not tracking.proves_reporter(event, secret):
        raise TrackFailed(field="ref")
    return event


def _reply(timeline: list[EventLog]) -> dict[str, Any] | None:
    """The handler's answer to the citizen: the note of the latest 反馈 (report back: what was done), else of
    办结 (a matter closed without one), with the handling unit (never a staff member's name) and personal
    numbers masked. The centre's close note ("已办结") comes after the answer and must not hide it. Only the
    latest round counts: after a reopen, the answer given before it is not the answer to the reopened matter."""
    reopened = max((i for i, entry in enumerate(timeline) if entry.action == "reopen"), default=-1)
    for actions in (("report",), ("close",)):
        for entry in reversed(timeline[reopened + 1 :]):
            if entry.action in actions and entry.note.strip():
                return {"at": entry.at, "unit": entry.actor_unit, "text": mask_text(entry.note)}
    return None


def _reporter(event: Event) -> Actor:
    return Actor(user_id=None, username=f"citizen:{event.ref}", roles=frozenset({Role.citizen}), reporter_of=event.id)


def _track_page(
    request: Request, session: Session, event: Event, digits: str, message: str = "", status_code: int = 200
) -> HTMLResponse:
    actor = _reporter(event)
    timeline = events.timeline(session, event, public=True)
    return render(
        request,
        "public_track.html",
        status_code=status_code,
        event=event,
        digits=digits,
        category=catalogue.view(session).by_id.get(event.category_id),
        timeline=timeline,
        reply=_reply(timeline),
        allowed=events.allowed_actions(event, actor, session),
        message=message,
        phone=events.mask_phone(event.reporter_phone),
    )


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, ref: str = "") -> HTMLResponse:
    return render(request, "public_track_form.html", ref=ref, error="")


@router.post("/track", response_class=HTMLResponse)
def track(
    form: CitizenForm, ref: Annotated[str, Form(max_length=24)] = "", digits: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    try:
        event = _find(form.session, ref, digits)
    except TrackFailed as exc:
        return render(form.request, "public_track_form.html", status_code=404, ref=ref, error=exc.detail)
    return _track_page(form.request, form.session, event, digits)


@router.post("/track/act", response_class=HTMLResponse)
def track_act(
    form: CitizenForm,
    ref: Annotated[str, Form(max_length=24)] = "",
    digits: Annotated[str, Form(max_length=12)] = "",
    action: Annotated[str, Form(max_length=12)] = "",
    rating: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    event = _find(form.session, ref, digits)
    if action not in ("rate", "reopen"):
        raise Invalid("只能评价或申请重新办理。", field="action", code="page.invalid_action")
    try:
        events.act(form.session, _reporter(event), event, action, events.ActionInput(rating=rating or None, note=note))
    except CityOpsError as exc:
        form.session.rollback()
        event = _find(form.session, ref, digits)
        message = exc.detail.split(" / ")[0]  # the citizen reads Chinese, without the English half
        return _track_page(form.request, form.session, event, digits, message=message, status_code=exc.status_code)
    message = "感谢您的评价。" if action == "rate" else "已重新受理，我们会尽快办理。"
    return _track_page(form.request, form.session, event, digits, message=message)
