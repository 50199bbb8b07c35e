"""Business errors carry their HTTP status; one JSON shape for every error response.

{"error": "EventNotFound", "detail": "事件不存在 / Event not found.", "data": {...}}
"""

from __future__ import annotations

from typing import Any, ClassVar


class CityOpsError(Exception):
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "Bad request."
    # True when the work done before the error must still be committed (e.g. counting a failed login).
    keeps_changes: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, **data: Any) -> None:
        self.detail = detail or self.message
        self.data = data
        super().__init__(self.detail)

    @property
    def name(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, Any]:
        return {"error": self.name, "detail": self.detail, "data": self.data}


class Invalid(CityOpsError):
    status_code = 422
    message = "Invalid input."


class Unauthorized(CityOpsError):
    status_code = 401
    message = "Authentication required."


class Forbidden(CityOpsError):
    status_code = 403
    message = "Not allowed."


class NotFound(CityOpsError):
    status_code = 404
    message = "Not found."


class Conflict(CityOpsError):
    status_code = 409
    message = "Conflict."


class TooManyRequests(CityOpsError):
    status_code = 429
    message = "Too many requests."


class Unavailable(CityOpsError):
    status_code = 503
    message = "Service unavailable."


def error_body(error: str, detail: str, **data: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail, "data": data}
