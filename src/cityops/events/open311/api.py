"""Open311 GeoReport v2 endpoints at /open311/v2 (XML and JSON), the servicerequestupdates extension,
and the admin routes for API keys."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.deps import AdminDep, SessionDep, TransactionalRoute
from cityops.core.errors import CityOpsError
from cityops.core.ratelimit import RateLimiter
from cityops.core.schemas import InSchema, Schema
from cityops.events.models import Event
from cityops.events.open311 import service
from cityops.events.open311.models import Open311Key
from cityops.events.open311.render import errors, respond
from cityops.events.open311.schemas import (
    Discovery,
    RequestCreated,
    RequestOut,
    RequestUpdate,
    ServiceDefinition,
    ServiceOut,
    UpdateReceived,
)

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=TransactionalRoute)
admin = APIRouter(prefix="/api/open311", tags=["open311"], route_class=TransactionalRoute)
FORMATS = ("json", "xml")
# `.xml` answers the same content as GeoReport XML (the models below document the JSON form).
XML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/xml": {}}}}


def georeport(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Render business errors as GeoReport error arrays in the requested format."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        fmt = kwargs.get("fmt") or (args[0] if args and isinstance(args[0], str) else "json")
        if fmt not in FORMATS:
            return errors("json", 404, f"format {fmt!r} not supported; use .json or .xml")
        request = kwargs.get("request") or next(a for a in args if isinstance(a, Request))
        try:
            _check_jurisdiction(request)
            result: Response = fn(*args, **kwargs)
            return result
        except CityOpsError as exc:
            status = exc.status_code if exc.status_code in (403, 404, 429) else 400
            return errors(fmt, status, exc.detail)

    return wrapper


def _check_jurisdiction(request: Request) -> None:
    wanted = request.query_params.get("jurisdiction_id") or ""
    ours = request.app.state.settings.open311_jurisdiction
    if wanted and wanted != ours:
        raise service.JurisdictionNotFound(f"jurisdiction_id {wanted!r} not found; this endpoint serves {ours!r}")


def _limit(request: Request, key: str, per_minute: int) -> None:
    limiters: dict[int, RateLimiter] = request.app.state.__dict__.setdefault("_limiters", {})
    limiter = limiters.get(per_minute)
    if limiter is None:
        limiter = limiters[per_minute] = RateLimiter(per_minute)
    limiter.check(key)


def _public_limit(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    _limit(request, f"ip:{client}", request.app.state.settings.public_per_minute)


@router.get("/discovery.{fmt}", response_model=Discovery, responses=XML)
@georeport
def discovery(fmt: str, request: Request) -> Response:
    """Service discovery (both formats)."""
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    payload = {
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": "重庆市数字化城市运行和治理中心 / cityops operator",
        "key_service": "向平台管理员申请API密钥 / ask the platform's admins for an api_key",
        "endpoints": [
            {
                "specification": service.SPEC,
                "url": base,
                "changeset": "2026-01-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", None, payload)


@router.get("/services.{fmt}", response_model=list[ServiceOut], responses=XML)
@georeport
def list_services(fmt: str, request: Request, session: SessionDep) -> Response:
    """The catalogue as GeoReport services."""
    _public_limit(request)
    return respond(fmt, "services", "service", service.services(session))


@router.get("/services/{code}.{fmt}", response_model=ServiceDefinition, responses=XML)
@georeport
def service_definition(code: str, fmt: str, request: Request, session: SessionDep) -> Response:
    """A service's attributes (the category's required fields)."""
    _public_limit(request)
    return respond(fmt, "service_definition", None, service.service_definition(session, code))


async def _form(request: Request) -> dict[str, Any]:
    """Form fields, with attribute[CODE] and attribute[CODE][] collected into `attributes`."""
    form = await request.form()
    out: dict[str, Any] = {"attributes": {}}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if name.startswith("attribute[") and "]" in name:
            code = name[len("attribute[") : name.index("]")]
            if name.endswith("[]"):
                out["attributes"].setdefault(code, []).append(value)
            else:
                out["attributes"][code] = value
        else:
            out[name] = value
    return out


@router.post("/requests.{fmt}", response_model=list[RequestCreated], responses=XML)
async def post_request(fmt: str, request: Request, session: SessionDep) -> Response:
    """Create a service request (form-encoded, api_key required)."""
    if fmt not in FORMATS:
        return errors("json", 404, f"format {fmt!r} not supported")
    body = await request.body()
    if len(body) > 64 * 1024:
        return errors(fmt, 400, "request body larger than 64 KB")
    form = await _form(request)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_post_request, fmt, request, session, form)


@georeport
def _post_request(fmt: str, request: Request, session: Session, form: dict[str, Any]) -> Response:
    if form.get("jurisdiction_id") and form["jurisdiction_id"] != request.app.state.settings.open311_jurisdiction:
        raise service.JurisdictionNotFound()
    key = service.key_for(session, form.get("api_key"))
    _limit(request, f"key:{key.id}", key.per_minute)
    return respond(fmt, "service_requests", "request", [service.post_request(session, key, form)])


@router.get("/requests.{fmt}", response_model=list[RequestOut], responses=XML)
@georeport
def get_requests(
    fmt: str,
    request: Request,
    session: SessionDep,
    service_request_id: str = "",
    service_code: str = "",
    start_date: str = "",
    end_date: str = "",
    status: str = "",
) -> Response:
    """Requests in the last 90 days (or the window asked for), at most 1,000."""
    _public_limit(request)
    events = service.find_requests(
        session, ids=service_request_id, codes=service_code, start=start_date, end=end_date, status=status
    )
    return respond(fmt, "service_requests", "request", service.describe_requests(session, events))


@router.get("/requests/{ref}.{fmt}", response_model=list[RequestOut], responses=XML)
@georeport
def get_request(ref: str, fmt: str, request: Request, session: SessionDep) -> Response:
    """One request, still wrapped in a list as the spec requires."""
    _public_limit(request)
    event = service.get_request(session, ref)
    return respond(fmt, "service_requests", "request", service.describe_requests(session, [event]))


@router.get("/tokens/{token}.{fmt}", response_model=list[RequestCreated], responses=XML)
@georeport
def get_token(token: str, fmt: str, request: Request, session: SessionDep) -> Response:
    """Resolve a token (an intake idempotency key) to its service_request_id."""
    _public_limit(request)
    ref = session.scalar(select(Event.ref).where(Event.idempotency_key == token))
    if ref is None:
        raise service.RequestNotFound(f"token {token!r} not found")
    return respond(fmt, "service_requests", "request", [{"service_request_id": ref, "token": token}])


@router.get("/servicerequestupdates.{fmt}", response_model=list[RequestUpdate], responses=XML)
@georeport
def get_updates(
    fmt: str, request: Request, session: SessionDep, api_key: str = "", start_date: str = "", end_date: str = ""
) -> Response:
    """mySociety extension: public timeline entries as request updates (api_key required)."""
    key = service.key_for(session, api_key)
    _limit(request, f"key:{key.id}", key.per_minute)
    return respond(
        fmt,
        "service_request_updates",
        "request_update",
        service.request_updates(session, start=start_date, end=end_date),
    )


@router.post("/servicerequestupdates.{fmt}", response_model=list[UpdateReceived], responses=XML)
async def post_update(fmt: str, request: Request, session: SessionDep) -> Response:
    """mySociety extension: an outside system adds an update to a request's timeline."""
    if fmt not in FORMATS:
        return errors("json", 404, f"format {fmt!r} not supported")
    form = await _form(request)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_post_update, fmt, request, session, form)


@georeport
def _post_update(fmt: str, request: Request, session: Session, form: dict[str, Any]) -> Response:
    key = service.key_for(session, form.get("api_key"))
    _limit(request, f"key:{key.id}", key.per_minute)
    return respond(fmt, "service_request_updates", "request_update", [service.post_update(session, key, form)])


# -- admin ------------------------------------------------------------------------------------------------
class KeyCreate(InSchema):
    name: str = Field(min_length=1, max_length=80)
    per_minute: int = Field(120, ge=1, le=100_000)


class KeyRead(Schema):
    id: int
    name: str
    prefix: str
    active: bool
    per_minute: int


class KeyCreated(KeyRead):
    api_key: str = Field(description="shown once; store it now")


@admin.post("/keys", status_code=201)
def create_key(body: KeyCreate, session: SessionDep, actor: AdminDep) -> KeyCreated:
    """Issue an Open311 API key (admins); the plain key is returned once."""
    row, plain = service.create_key(session, actor, name=body.name, per_minute=body.per_minute)
    return KeyCreated(**KeyRead.model_validate(row).model_dump(), api_key=plain)


@admin.get("/keys")
def list_keys(session: SessionDep, _: AdminDep) -> list[KeyRead]:
    """API keys (without the keys themselves)."""
    return [KeyRead.model_validate(k) for k in session.scalars(select(Open311Key).order_by(Open311Key.id))]


@admin.delete("/keys/{key_id}")
def revoke_key(key_id: int, session: SessionDep, actor: AdminDep) -> KeyRead:
    """Revoke a key; clients using it get 403."""
    return KeyRead.model_validate(service.revoke_key(session, actor, key_id))
