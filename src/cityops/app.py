"""create_app(settings) -> FastAPI: routers, error handlers, shared state."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import cityops
from cityops.core.db import make_engine, open_pool
from cityops.core.errors import CityOpsError, error_body
from cityops.core.settings import Settings
from cityops.runtime import session_factory

log = logging.getLogger("cityops")


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api", "/static", "/open311")) or path in ("/docs", "/redoc", "/openapi.json"))


INT32_MAX = 2**31 - 1


def _rejected_value(exc: Exception, request: Request) -> tuple[str, str] | None:
    """A value the database cannot store, as (field, reason): a number too large for its column (SQLite:
    64-bit; PostgreSQL integer: 32-bit) or text with NUL bytes (PostgreSQL). None for other errors."""
    from sqlalchemy.exc import DataError

    text = str(exc)
    params = [*request.path_params.items(), *request.query_params.items()]
    if isinstance(exc, OverflowError) or (isinstance(exc, DataError) and "out of range" in text):
        for name, value in params:
            try:
                if abs(int(value)) > INT32_MAX:
                    return str(name), "数值超出范围 / number out of range"
            except (TypeError, ValueError):
                continue
        return "body", "数值超出范围 / a number is out of range"
    if isinstance(exc, DataError) and "NUL" in text:
        field = next((str(n) for n, v in params if "\x00" in str(v)), "body")
        return field, "文本不能包含 NUL 字符 / text must not contain NUL characters"
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CityOpsError)
    async def _business(request: Request, exc: CityOpsError) -> Response:
        if _is_page(request):
            from cityops.web.pages import html_error

            return html_error(request, exc)
        headers = {"Retry-After": str(exc.data["retry_after"])} if "retry_after" in exc.data else None
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    from cityops.web.deps import LoginRequired

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        if request.url.path.endswith("/stream") or request.url.path.endswith(".json"):
            return JSONResponse(error_body("Unauthorized", "请先登录 / Log in first."), status_code=401)
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(tuple(e.get("loc", ()))), "reason": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        detail = f"{first['field']}: {first['reason']}"
        return JSONResponse(error_body("ValidationError", detail, field=first["field"], errors=errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_page(request) and exc.status_code == 404:
            from cityops.core.errors import NotFound
            from cityops.web.pages import html_error

            return html_error(request, NotFound())
        names = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
        return JSONResponse(
            error_body(names.get(exc.status_code, "HTTPError"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    from sqlalchemy.exc import DataError

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        rejected = _rejected_value(exc, request)
        if rejected is None:
            return await _unexpected(request, exc)
        field, reason = rejected
        return JSONResponse(error_body("Invalid", f"{field}: {reason}", field=field), status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_away(request: Request, exc: Exception) -> Response:
        # The database is restarting, unreachable or refusing connections: nothing was stored, and the
        # client should retry (with its idempotency key). The pool pings before reuse, so once the
        # database is back the next request reconnects by itself.
        log.warning("database unavailable: %s", type(exc).__name__)
        from cityops.core.errors import Unavailable

        unavailable = Unavailable(
            "数据库暂时不可用，未保存，请稍后重试 / The database is unavailable; nothing was saved, retry shortly.",
            code="database.unavailable",
            retry_after=2,
        )
        return await _business(request, unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("InternalError", "服务器内部错误 / Internal server error."), status_code=500)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url, **settings.engine_options())
    app = FastAPI(
        title="cityops 城市运行和治理平台",
        version=cityops.__version__,
        description="City operation and governance platform: org tree, closed-loop events, sensing, plans, KPIs.",
        docs_url=None,  # served below from the npm packages (offline networks have no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine, settings)
    app.state.hooks = app.state.sessionmaker.kw["info"]["cityops.hooks"]
    install_error_handlers(app)

    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    for router in _routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "web" / "static")), name="static")
    _document_errors(app)
    _offline_docs(app)
    return app


def serve_app() -> FastAPI:
    """What `cityops serve` runs in each process: the app, with its PostgreSQL pool opened and the hot paths
    run once on every pooled connection before the first request instead of inside it (`cityops.warm`), then
    everything built so far (modules, caches, the geo index) frozen out of the garbage collector's passes,
    which would otherwise walk it again and again."""
    from cityops import warm

    app = create_app()
    opened = open_pool(app.state.engine)
    warm.warm_up(app, connections=opened or 1)
    gc.collect()
    gc.freeze()
    return app


class SecurityHeaders:
    """Headers every answer carries (a plain ASGI middleware: no per-request task, streams pass through)."""

    CSP = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    )

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope["path"]).startswith(("/docs", "/redoc", "/openapi.json"))  # inline scripts, a worker

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not docs:
                    headers.setdefault("Content-Security-Policy", self.CSP)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, with_headers)


def _routers() -> list[APIRouter]:
    """Every domain's API routes, then every page, in the order they are matched."""
    return [*_api_routers(), *_page_routers()]


def _api_routers() -> list[APIRouter]:
    """The JSON API of every domain (documented at /docs)."""
    from cityops.ai.api import router as ai_router
    from cityops.apps.api import router as apps_router
    from cityops.catalog.api import router as catalog_router
    from cityops.catalog.open_api import router as catalog_open_router
    from cityops.core.api import router as core_router
    from cityops.core.files_api import router as files_router
    from cityops.events.api import router as events_router
    from cityops.events.api_catalogue import router as catalogue_router
    from cityops.events.open311.api import admin as open311_admin
    from cityops.events.open311.api import router as open311_router
    from cityops.grid.api import router as grid_router
    from cityops.grid.api_duties import router as duties_router
    from cityops.grid.api_forms import router as forms_router
    from cityops.indicators.api import router as indicators_router
    from cityops.muck.api import router as muck_router
    from cityops.org.api import router as org_router
    from cityops.plans.api import router as plans_router
    from cityops.risks.api import router as risks_router
    from cityops.sensing.api import router as sensing_router
    from cityops.wages.api import router as wages_router

    return [
        core_router,
        ai_router,
        org_router,
        events_router,
        catalogue_router,
        open311_router,
        open311_admin,
        sensing_router,
        indicators_router,
        plans_router,
        files_router,
        grid_router,
        duties_router,
        forms_router,
        catalog_router,
        catalog_open_router,
        risks_router,
        apps_router,
        wages_router,
        muck_router,
    ]


def _page_routers() -> list[APIRouter]:
    """The pages: cockpits, workspace, the domains' staff pages, the phone and citizen pages."""
    from cityops.web.ai import router as ai_pages_router
    from cityops.web.apps import router as app_pages_router
    from cityops.web.catalog import router as catalog_pages_router
    from cityops.web.emergency import router as emergency_router
    from cityops.web.event_page import router as event_page_router
    from cityops.web.grid_admin import router as grid_admin_router
    from cityops.web.grid_duties import router as grid_duties_router
    from cityops.web.grid_form_staff import router as grid_form_staff_router
    from cityops.web.grid_forms import router as grid_forms_router
    from cityops.web.grid_mobile import router as grid_mobile_router
    from cityops.web.grid_street import router as grid_street_router
    from cityops.web.layers import router as layers_router
    from cityops.web.muck import router as muck_pages_router
    from cityops.web.pages import router as pages_router
    from cityops.web.plan_runs import router as plan_runs_router
    from cityops.web.public import router as public_router
    from cityops.web.risks import router as risk_pages_router
    from cityops.web.runways import router as runways_router
    from cityops.web.sensing import router as sensing_pages_router
    from cityops.web.wages import router as wage_pages_router
    from cityops.web.workspace import api_router as workspace_api
    from cityops.web.workspace import router as workspace_router

    return [
        ai_pages_router,
        catalog_pages_router,
        pages_router,
        event_page_router,
        emergency_router,
        plan_runs_router,
        grid_mobile_router,
        grid_forms_router,
        grid_street_router,
        grid_admin_router,
        grid_duties_router,
        grid_form_staff_router,
        public_router,
        runways_router,
        wage_pages_router,
        muck_pages_router,
        risk_pages_router,
        app_pages_router,
        sensing_pages_router,
        layers_router,
        workspace_api,
        workspace_router,
    ]


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from files scripts/bootstrap.sh copies out of npm packages."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    vendor = "/static/vendor"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},  # the public validator is a network call
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            redoc_js_url=f"{vendor}/redoc.standalone.js",
            redoc_favicon_url="/static/favicon.svg",
            with_google_fonts=False,
        )


def _document_errors(app: FastAPI) -> None:
    """Describe our one error shape in the OpenAPI schema: every 4xx of the API answers `ErrorOut`
    (validation errors included, which FastAPI would otherwise document as its own shape)."""
    from fastapi.openapi.utils import get_openapi

    from cityops.core.schemas import ErrorOut

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema()
        components["HTTPValidationError"] = ErrorOut.model_json_schema()
        error = {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue  # Open311 documents its own GeoReport error arrays
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("4XX", error)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
