"""Every JSON API route declares a typed response model, so `/docs` documents each answer (and FastAPI checks
what a route returns against it). Pages, downloads, redirects, streams and 204s carry no JSON body."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.routing import APIRoute
from pydantic import BaseModel

from cityops.app import create_app
from cityops.core.settings import Settings

NO_JSON_BODY = (HTMLResponse, PlainTextResponse, RedirectResponse, StreamingResponse, FileResponse)
# Routes still answered as free-form dicts; the set may only shrink (it is empty: keep it so).
UNTYPED_YET: set[str] = set()


def _app() -> FastAPI:
    return create_app(Settings(env="test", database_url="sqlite:///:memory:"))


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    stack: list[tuple[str, Any]] = [("", r) for r in app.routes]
    while stack:
        prefix, r = stack.pop(0)
        if hasattr(r, "original_router"):  # an included router: its routes under its prefix
            stack.extend((prefix + r.include_context.prefix, c) for c in r.original_router.routes)
        elif isinstance(r, APIRoute) and r.include_in_schema:
            for method in sorted((r.methods or set()) - {"HEAD"}):
                yield f"{method} {prefix}{r.path}", r


def _answers_json(route: APIRoute) -> bool:
    if route.status_code == 204:
        return False
    cls = getattr(route.response_class, "value", route.response_class)  # a DefaultPlaceholder holds JSONResponse
    if cls is Response:  # raw bytes: files, photos, spreadsheets, YAML, Turtle
        return False
    return not (isinstance(cls, type) and issubclass(cls, NO_JSON_BODY))


def _typed(t: Any) -> bool:
    """A Pydantic model, a scalar, or a list / optional / union of those — never a bare dict or Any."""
    origin = typing.get_origin(t)
    if origin is None:
        return isinstance(t, type) and (issubclass(t, BaseModel) or t in (int, str, float, bool))
    if origin in (typing.Union, types.UnionType):
        return all(_typed(a) for a in typing.get_args(t) if a is not type(None))
    if origin in (list, tuple, set, typing.Literal):
        return origin is typing.Literal or all(_typed(a) for a in typing.get_args(t) if a is not Ellipsis)
    return False


def test_every_json_api_route_declares_a_response_model() -> None:
    missing = [name for name, r in _routes(_app()) if _answers_json(r) and r.response_model is None]
    assert not missing, f"JSON routes without a response model: {missing}"


def test_response_models_are_typed() -> None:
    untyped = {
        name
        for name, r in _routes(_app())
        if _answers_json(r) and r.response_model is not None and not _typed(r.response_model)
    }
    assert untyped <= UNTYPED_YET, f"free-form dict answers: {sorted(untyped - UNTYPED_YET)}"
    assert not UNTYPED_YET - untyped, f"typed now, drop from UNTYPED_YET: {sorted(UNTYPED_YET - untyped)}"


def test_the_walk_sees_the_api() -> None:
    names = {name for name, _ in _routes(_app())}
    assert {"GET /api/alarms", "POST /api/alarms/{alarm_id}/ack", "GET /api/grids"} <= names
