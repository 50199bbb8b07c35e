"""民呼我为: the public, mobile-first pages — report a problem, track it by reference, rate, reopen.

No account: tracking needs the reference plus the last four digits of the phone given at submission.
Rate limits per client address; a honeypot field catches form-filling bots; phones are always masked.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError, Invalid, NotFound
from cityops.core.ratelimit import RateLimiter
from cityops.events import catalogue
from cityops.events import service as events
from cityops.events.intake import IntakeItem, intake_one
from cityops.events.models import Category, Event, Source
from cityops.web import csrf
from cityops.web.pages import render

router = APIRouter(prefix="/public", route_class=TransactionalRoute, include_in_schema=False)
PUBLIC_ACTOR = Actor(user_id=None, username="public:web", roles=frozenset({Role.citizen}))


class TrackFailed(NotFound):
    message = "未找到该编号，或电话后四位不符 / No such reference, or the phone digits do not match."
    default_code = "page.track_failed"


def _limit(request: Request) -> None:
    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    if limiter is None:
        limiter = request.app.state.public_limiter = RateLimiter(request.app.state.settings.public_per_minute)
    limiter.check(f"ip:{request.client.host if request.client else 'unknown'}")


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
    return render(request, "public_report.html", categories=_categories(session), form={}, error="")


@router.post("/report", response_class=HTMLResponse)
def report_submit(
    request: Request,
    session: SessionDep,
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
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _limit(request)
    csrf.check(request, csrf_token)
    form = {
        "category": category,
        "description": description,
        "address": address,
        "lon": lon,
        "lat": lat,
        "name": name,
        "phone": phone,
    }
    if website:  # the honeypot: people never see this field, bots fill it
        return render(
            request,
            "public_report.html",
            status_code=400,
            categories=_categories(session),
            form=form,
            error="提交未被接受 / The submission was not accepted.",
        )
    try:
        item = IntakeItem(
            category=category,
            description=description,
            source=Source.citizen,
            address=address,
            lon=_number(lon, "lon"),
            lat=_number(lat, "lat"),
            reporter_name=name,
            reporter_phone=phone,
            attachments=[{"name": photo_name[:200], "size": photo_size[:12]}] if photo_name else [],
        )
        result = intake_one(session, PUBLIC_ACTOR, item)
    except CityOpsError as exc:
        return render(
            request,
            "public_report.html",
            status_code=422,
            categories=_categories(session),
            form=form,
            error=exc.detail,
            field=exc.data.get("field", ""),
        )
    event = session.get(Event, result.event_id)
    assert event is not None
    return render(request, "public_receipt.html", event=event, phone=events.mask_phone(event.reporter_phone))


def _number(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise Invalid(f"{field} 须为数字 / {field} must be a number", field=field, code="page.not_a_number") from None


def _find(session: Session, ref: str, digits: str) -> Event:
    event = session.scalars(select(Event).where(Event.ref == ref.strip(), Event.is_drill.is_(False))).one_or_none()
    expected = event.reporter_phone[-4:] if event is not None and event.reporter_phone else ""
    if event is None or not hmac.compare_digest(expected, digits.strip()):
        raise TrackFailed(field="ref")
    return event


def _reporter(event: Event) -> Actor:
    return Actor(user_id=None, username=f"citizen:{event.ref}", roles=frozenset({Role.citizen}), reporter_of=event.id)


def _track_page(
    request: Request, session: Session, event: Event, digits: str, message: str = "", status_code: int = 200
) -> HTMLResponse:
    actor = _reporter(event)
    return render(
        request,
        "public_track.html",
        status_code=status_code,
        event=event,
        digits=digits,
        category=catalogue.view(session).by_id.get(event.category_id),
        timeline=events.timeline(session, event, public=True),
        allowed=events.allowed_actions(event, actor, session),
        message=message,
        phone=events.mask_phone(event.reporter_phone),
    )


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, ref: str = "") -> HTMLResponse:
    return render(request, "public_track_form.html", ref=ref, error="")


@router.post("/track", response_class=HTMLResponse)
def track(
    request: Request,
    session: SessionDep,
    ref: Annotated[str, Form(max_length=24)] = "",
    digits: Annotated[str, Form(max_length=4)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _limit(request)
    csrf.check(request, csrf_token)
    try:
        event = _find(session, ref, digits)
    except TrackFailed as exc:
        return render(request, "public_track_form.html", status_code=404, ref=ref, error=exc.detail)
    return _track_page(request, session, event, digits)


@router.post("/track/act", response_class=HTMLResponse)
def track_act(
    request: Request,
    session: SessionDep,
    ref: Annotated[str, Form(max_length=24)] = "",
    digits: Annotated[str, Form(max_length=4)] = "",
    action: Annotated[str, Form(max_length=12)] = "",
    rating: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _limit(request)
    csrf.check(request, csrf_token)
    event = _find(session, ref, digits)
    if action not in ("rate", "reopen"):
        raise Invalid("只能评价或重开 / only rate or reopen", field="action", code="page.invalid_action")
    try:
        events.act(session, _reporter(event), event, action, events.ActionInput(rating=rating or None, note=note))
    except CityOpsError as exc:
        session.rollback()
        event = _find(session, ref, digits)
        return _track_page(request, session, event, digits, message=exc.detail, status_code=exc.status_code)
    message = "感谢您的评价 / Thank you for rating." if action == "rate" else "已重新受理 / Reopened."
    return _track_page(request, session, event, digits, message=message)
