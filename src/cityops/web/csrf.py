"""CSRF protection for cookie-authenticated forms: a per-session token in a cookie and in each form."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from cityops.core.errors import Forbidden

CSRF_COOKIE = "cityops_csrf"


def token_for(request: Request, response: Response | None = None) -> str:
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state._csrf = token
    return str(token)


def set_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, "_csrf", None)
    if token and not request.cookies.get(CSRF_COOKIE):
        secure = bool(request.app.state.settings.cookie_secure)
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure)


def check(request: Request, submitted: str | None) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden(
            "表单已过期，请刷新页面 / The form expired (CSRF check failed); reload the page.",
            field="csrf_token",
            code="page.csrf_failed",
        )
