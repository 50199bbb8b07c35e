"""Staff users, password hashing (argon2), API tokens and web sessions, and the Actor behind them."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import audit, cache, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import Base
from cityops.core.errors import Conflict, Invalid, TooManyRequests, Unauthorized
from cityops.core.hooks import hooks_of

_hasher = PasswordHasher()
# A hash of a random password, checked when the user does not exist so that timing does not reveal
# which usernames are real.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class LoginFailed(Unauthorized):
    message = "用户名或密码错误 / Wrong username or password."
    default_code = "auth.login_failed"
    keeps_changes = True  # the failure count and its audit entry must be stored


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(255))  # comma-separated Role values
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # api | session
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


def reassign_unit(session: Session, retired_id: int, successor_id: int) -> None:
    """Users of a merged-away unit belong to its successor (called by org inside the merge)."""
    session.execute(
        update(User)
        .where(User.unit_id == retired_id)
        .values(unit_id=successor_id)
        .execution_options(synchronize_session=False)
    )


def check_password_policy(password: str) -> None:
    """At least 10 characters with letters and digits (SPEC §11; weak passwords are refused)."""
    if len(password) < 10 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise Invalid(
            "密码至少10位且包含字母和数字 / Password must be at least 10 characters with letters and digits.",
            field="password",
            code="auth.invalid_password",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    roles: list[Role],
    display_name: str = "",
    unit_id: int | None = None,
    department_id: int | None = None,
) -> User:
    check_password_policy(password)
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict("用户名已存在 / Username already exists.", field="username", code="auth.username_taken")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        roles=",".join(sorted(Role(r).value for r in roles)),
        unit_id=unit_id,
        department_id=department_id,
        created_at=clock.now(),
        failed_logins=0,
        is_active=True,
    )
    return audit.add_new(
        session, actor, "auth.user_created", user, username=username, roles=user.roles, unit_id=unit_id
    )


def authenticate(session: Session, username: str, password: str) -> User:
    """Check a password; 401 on any mismatch, 429 while the account is locked after repeated failures."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    now = clock.now()
    if user is None or not user.is_active:
        _verify(_DUMMY_HASH, password)
        raise LoginFailed()
    if user.locked_until is not None and clock.as_utc(user.locked_until) > now:
        raise TooManyRequests(
            "登录失败次数过多，请稍后再试 / Too many failed logins; try again later.",
            retry_after=int((clock.as_utc(user.locked_until) - now).total_seconds()),
            code="auth.locked_out",
        )
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.record(session, system_login_actor(username), "auth.login_failed", user)
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    return user


def system_login_actor(username: str) -> Actor:
    return Actor(user_id=None, username=f"login:{username}"[:80])


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, kind: str, ttl: timedelta) -> str:
    """A new random token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ApiToken(
            token_hash=_digest(token),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + ttl,
            revoked=False,
        )
    )
    return token


def revoke_token(session: Session, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).one_or_none()
    if row is not None:
        row.revoked = True


class _TokenCache:
    """Who a token belongs to, for a few seconds: the lookup (token, user, unit) is what every request
    pays first. A change to users or tokens made in this process drops it at once (`cache.watch`); one
    made by another process (a logout, a revoked role) takes effect there within `TTL` seconds."""

    TTL = 5.0
    MAX = 20_000

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Actor, datetime, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        row = self._rows.get(digest)
        if row is None:
            return None
        actor, expires_at, cached_at = row
        if time.monotonic() - cached_at > self.TTL or expires_at <= clock.now():
            return None
        return actor

    def put(self, digest: str, actor: Actor, expires_at: datetime) -> None:
        with self._lock:
            if len(self._rows) >= self.MAX:
                self._rows.clear()
            self._rows[digest] = (actor, clock.as_utc(expires_at), time.monotonic())

    def invalidate(self) -> None:
        with self._lock:
            self._rows.clear()


_TOKENS = _TokenCache()
cache.register(_TOKENS)
cache.watch((User, ApiToken), _TOKENS.invalidate)


def cached_actor(token: str) -> Actor | None:
    """The actor of a token the per-process cache holds fresh, without touching the database."""
    return _TOKENS.get(_digest(token))


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The actor of a live token (from the per-process cache when it is fresh)."""
    digest = _digest(token)
    actor = _TOKENS.get(digest)
    if actor is not None:
        return actor
    row = session.execute(
        select(User, ApiToken.revoked, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest)
    ).one_or_none()
    if row is None:
        return None
    user, revoked, expires_at = row
    if revoked or clock.as_utc(expires_at) <= clock.now() or not user.is_active:
        return None
    actor = actor_for(session, user)
    _TOKENS.put(digest, actor, expires_at)
    return actor


def actor_for(session: Session, user: User) -> Actor:
    path, level = ("", "")
    # Org units live in the org domain, which core must not import: org installs the lookup on the hooks.
    lookup = hooks_of(session).unit_lookup
    if user.unit_id is not None and lookup is not None:
        path, level = lookup(session, user.unit_id)
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=user.role_set,
        unit_id=user.unit_id,
        unit_path=path,
        unit_level=level,
        department_id=user.department_id,
    )
