"""Business errors carry their HTTP status; one JSON shape for every error response.

{"error": "EventNotFound", "code": "event.not_found", "detail": "事件不存在 / Event not found.", "data": {...}}

`code` is the stable, documented name of the business rule that refused the request (`event.stale_version`,
`plan.steps_pending` …): clients branch on it, never on the wording of `detail`. A subclass names its
default code; a raise site may give a more precise one with `code=`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

T = TypeVar("T")


class CityOpsError(Exception):
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "Bad request."
    default_code: ClassVar[str] = "bad_request"
    # True when the work done before the error must still be committed (e.g. counting a failed login).
    keeps_changes: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, *, code: str | None = None, **data: Any) -> None:
        self.detail = detail or self.message
        self.code = code or self.default_code
        self.data = data
        super().__init__(self.detail)

    @property
    def name(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, Any]:
        return {"error": self.name, "code": self.code, "detail": self.detail, "data": self.data}


class Invalid(CityOpsError):
    status_code = 422
    message = "Invalid input."
    default_code = "invalid"


class Unauthorized(CityOpsError):
    status_code = 401
    message = "Authentication required."
    default_code = "unauthorized"


class Forbidden(CityOpsError):
    status_code = 403
    message = "Not allowed."
    default_code = "forbidden"


class NotFound(CityOpsError):
    status_code = 404
    message = "Not found."
    default_code = "not_found"


class Conflict(CityOpsError):
    status_code = 409
    message = "Conflict."
    default_code = "conflict"


class TooManyRequests(CityOpsError):
    status_code = 429
    message = "Too many requests."
    default_code = "too_many_requests"


class Unavailable(CityOpsError):
    status_code = 503
    message = "Service unavailable."
    default_code = "unavailable"


def one_or_raise(session: Session, stmt: Select[T], missing: CityOpsError) -> T:
    """The one row `stmt` selects, else `missing` is raised. An access check puts the actor's scope into
    `stmt`, so a row that is absent and one the actor may not see get the same 404."""
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise missing
    return row


def error_body(error: str, detail: str, *, code: str | None = None, **data: Any) -> dict[str, Any]:
    return {"error": error, "code": code or _snake(error), "detail": detail, "data": data}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
