"""Core routes: health, login/logout, the current user, users, audit verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field
from sqlalchemy import text

import cityops
from cityops.core import audit, auth
from cityops.core.actor import Actor, Role
from cityops.core.deps import SESSION_COOKIE, ActorDep, SessionDep, TransactionalRoute, require, start_session
from cityops.core.schemas import InSchema, Schema

router = APIRouter(prefix="/api", route_class=TransactionalRoute)


class HealthOut(Schema):
    status: str
    version: str
    database: str


@router.get("/health", tags=["core"])
def health(request: Request, session: SessionDep) -> HealthOut:
    """Liveness and the database backend in use."""
    session.execute(text("SELECT 1"))
    return HealthOut(status="ok", version=cityops.__version__, database=request.app.state.settings.backend)


class LoginIn(InSchema):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ActorOut(Schema):
    user_id: int | None
    username: str
    roles: list[str]
    unit_id: int | None
    unit_path: str
    unit_level: str
    department_id: int | None

    @classmethod
    def of(cls, actor: Actor) -> ActorOut:
        return cls(
            user_id=actor.user_id,
            username=actor.username,
            roles=sorted(r.value for r in actor.roles),
            unit_id=actor.unit_id,
            unit_path=actor.unit_path,
            unit_level=actor.unit_level,
            department_id=actor.department_id,
        )


class LoginOut(Schema):
    token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int
    actor: ActorOut


@router.post(
    "/auth/login",
    tags=["auth"],
    responses={
        401: {"description": "wrong username or password"},
        429: {"description": "account locked for a while"},
    },
)
def login(body: LoginIn, request: Request, response: Response, session: SessionDep) -> LoginOut:
    """Exchange a username and password for an API token; also sets the web session cookie."""
    user = auth.authenticate(session, body.username, body.password)
    token, expires_in = start_session(request, response, session, user, via="api")
    return LoginOut(token=token, expires_in=expires_in, actor=ActorOut.of(auth.actor_for(session, user)))


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(request: Request, response: Response, session: SessionDep, actor: ActorDep) -> Response:
    """Revoke the token in use and clear the session cookie."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE, "")
    auth.revoke_token(session, token)
    audit.record(session, actor, "auth.logout", ("app_user", actor.user_id))
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/auth/me", tags=["auth"])
def me(actor: ActorDep) -> ActorOut:
    """Who the token belongs to: roles and jurisdiction."""
    return ActorOut.of(actor)


class UserCreate(InSchema):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field("", max_length=80)
    roles: list[Role] = Field(min_length=1)
    unit_id: int | None = None
    department_id: int | None = None


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    roles: str
    unit_id: int | None
    department_id: int | None


@router.post("/users", tags=["auth"], status_code=201)
def create_user(
    body: UserCreate, session: SessionDep, actor: Annotated[Actor, Depends(require(Role.sysadmin))]
) -> UserOut:
    """Create a staff user (sysadmin only); the password must meet the policy."""
    user = auth.create_user(
        session,
        actor,
        username=body.username,
        password=body.password,
        roles=body.roles,
        display_name=body.display_name,
        unit_id=body.unit_id,
        department_id=body.department_id,
    )
    return UserOut.model_validate(user)


class AuditVerifyOut(Schema):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str


@router.get("/audit/verify", tags=["audit"])
def verify_audit(session: SessionDep, _: Annotated[Actor, Depends(require(Role.auditor))]) -> AuditVerifyOut:
    """Walk the hash chain (auditor only) and name the first broken entry."""
    result = audit.verify(session)
    return AuditVerifyOut(ok=result.ok, checked=result.checked, broken_seq=result.broken_seq, reason=result.reason)
