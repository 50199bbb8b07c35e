"""Request boundary: one session per request, committed by the route after the handler returns.

The commit happens before the response is sent, so a failing commit turns into an error response
rather than a success that was never stored (FastAPI's yield-dependency timing has varied).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cityops.core import auth
from cityops.core.actor import Actor, Role
from cityops.core.errors import CityOpsError, Conflict, Forbidden, Invalid, Unauthorized, Unavailable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "cityops_session"


def _finish(request: Request, *, commit: bool) -> None:
    session: Session | None = getattr(request.state, "_db_session", None)
    if session is None:
        return
    try:
        if commit:
            try:
                session.commit()
            except sa_exc.IntegrityError as exc:
                session.rollback()
                raise Conflict(
                    "数据冲突，未保存 / The change conflicts with stored data and was not saved.",
                    reason=str(exc.orig)[:300],
                    code="request.conflicting_data",
                ) from exc
            except (sa_exc.OperationalError, sa_exc.InterfaceError):
                # The connection went away at COMMIT (a restart): answered as the database being away,
                # 503 with Retry-After; the client's retry with its idempotency key finds what was stored.
                _rollback_quietly(session)
                raise
            except Exception as exc:  # any other failure at commit: nothing was stored, say so
                _rollback_quietly(session)
                raise Unavailable(
                    "数据库提交失败，未保存 / The database did not accept the change; nothing was saved.",
                    reason=type(exc).__name__,
                    code="request.not_committed",
                    retry_after=2,
                ) from exc
        else:
            _rollback_quietly(session)
    finally:
        session.close()
        request.state._db_session = None


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except sa_exc.DBAPIError:  # the connection is gone: there is nothing left to undo
        session.invalidate()


class _Gates:
    """Admission to the database, awaited on the event loop rather than in a worker thread.

    Sync handlers run in a bounded thread pool. If every thread sat blocked on the SQLite write lock or
    on an empty connection pool, the request holding the lock could never get a thread to commit: the
    server would stall until timeouts fired. So requests queue here first, without a thread: at most
    `slots` at once touch the database (fewer than the pool's connections), and on SQLite writers enter
    one at a time (SQLite has one writer anyway)."""

    def __init__(self, slots: int, serial_writes: bool) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.writer = asyncio.Lock() if serial_writes else None


def _gates(request: Request) -> _Gates:
    gates: _Gates | None = getattr(request.app.state, "db_gates", None)
    if gates is None:
        engine = request.app.state.engine
        pool = engine.pool
        # No more requests at once than the pool keeps open: beyond it every checkout would open an overflow
        # connection and close it on return — on PostgreSQL a fork and an authentication per request
        # (measured: the server's CPU went to it under 50 clients). The overflow is for the rest (streams, jobs).
        capacity = pool.size() if hasattr(pool, "size") else 0
        slots = max(2, min(32, capacity)) if capacity > 0 else 16
        gates = _Gates(slots, serial_writes=engine.dialect.name == "sqlite")
        request.app.state.db_gates = gates
    return gates


def _on_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """A sync endpoint as a coroutine that runs it in the thread pool, as FastAPI would, but marked async:
    FastAPI then checks the answer against its response model on the event loop instead of in a second
    trip to a worker thread (each trip waits for a thread and for the GIL, and under load those waits
    are the latency). FastAPI reads the parameters through `__wrapped__`."""

    @functools.wraps(endpoint)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return call


class TransactionalRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _on_worker_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await inner(request)
            except BaseException as exc:
                keep = isinstance(exc, CityOpsError) and exc.keeps_changes
                await run_in_threadpool(_finish, request, commit=keep)
                raise
            # Error responses rendered by handlers (status >= 400) must not commit partial work, unless the
            # handler asked to keep it (e.g. a failed login's counter).
            keep = bool(getattr(request.state, "keep_changes", False))
            await run_in_threadpool(_finish, request, commit=response.status_code < 400 or keep)
            return response

        async def handler(request: Request) -> Response:
            gates = _gates(request)
            async with gates.slots:
                if gates.writer is not None and request.method not in SAFE_METHODS:
                    async with gates.writer:
                        return await run(request)
                return await run(request)

        return handler


async def get_session(request: Request) -> Session:
    """The request's session, made on the event loop (no I/O: it connects at its first statement). A
    writer's session is bound so that its transaction begins as a writer (BEGIN IMMEDIATE on SQLite)."""
    session: Session | None = getattr(request.state, "_db_session", None)
    if session is None:
        state = request.app.state
        if request.method in SAFE_METHODS:
            session = state.sessionmaker()
        else:
            writer = getattr(state, "writer_engine", None)
            if writer is None:
                writer = state.writer_engine = state.engine.execution_options(sqlite_immediate=True)
            session = state.sessionmaker(bind=writer)
        request.state._db_session = session
    return session


SessionDep = Annotated[Session, Depends(get_session)]


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


# The dependencies below are `async` so that FastAPI runs them on the event loop: a sync dependency costs a
# hop to a worker thread and back, and a request has several. Only a token not in the cache goes to a thread.
async def get_optional_actor(request: Request, session: SessionDep) -> Actor | None:
    cached: Actor | None = getattr(request.state, "_actor", None)
    if cached is not None:
        return cached
    token = _token_from(request)
    if not token:
        return None
    actor = auth.cached_actor(token) or await run_in_threadpool(auth.actor_for_token, session, token)
    if actor is None:
        return None
    request.state._actor = actor
    return actor


async def get_actor(actor: Annotated[Actor | None, Depends(get_optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthorized("请先登录 / Log in first (Bearer token or session cookie).", code="auth.login_required")
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
OptionalActorDep = Annotated[Actor | None, Depends(get_optional_actor)]


def require(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """Dependency: the actor must hold one of `roles`."""

    async def check(actor: ActorDep) -> Actor:
        if not actor.has(*roles):
            raise Forbidden(
                "无此权限 / Your role may not do this.", needs=[r.value for r in roles], code="auth.role_required"
            )
        return actor

    return check


def start_session(
    request: Request, response: Response, session: Session, user: auth.User, *, via: str
) -> tuple[str, int]:
    """Issue a session token for a user who just proved their password, set the cookie, audit the login."""
    from datetime import timedelta

    from cityops.core import audit

    settings = request.app.state.settings
    ttl = timedelta(hours=settings.token_ttl_hours)
    token = auth.issue_token(session, user, kind="session", ttl=ttl)
    audit.record(session, auth.actor_for(session, user), "auth.login", user, via=via)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return token, int(ttl.total_seconds())


# Platform and application administrators (catalogue, categories, keys, settings).
AdminDep = Annotated[Actor, Depends(require(Role.sysadmin, Role.app_admin))]


async def limited_body(request: Request, *, max_mb: int, code: str) -> bytes:
    """The raw request body, refused (422 under the route's `code`) when larger than `max_mb` MB."""
    body = await request.body()
    if len(body) > max_mb * 1024 * 1024:
        raise Invalid(f"请求体超过{max_mb}MB / body larger than {max_mb} MB", field="body", code=code)
    return body


async def utf8_body(request: Request, *, max_mb: int, kind: str, code: str) -> str:
    """The request body as text: `limited_body`, and refused as well when it is not UTF-8 `kind` (YAML …)."""
    body = await limited_body(request, max_mb=max_mb, code=code)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"须为UTF-8文本 / body must be UTF-8 {kind}", field="body", code=code) from None
