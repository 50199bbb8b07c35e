"""The one shape of a timeline row (event_log), for the ORM path and for bulk inserts alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

PLATFORM = "system"


def row(
    event_id: int,
    at: datetime,
    action: str,
    note: str,
    *,
    data: dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_name: str = PLATFORM,
    actor_unit: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Every key the table has, in one order (bulk inserts need the same keys in every row)."""
    return {
        "event_id": event_id,
        "at": at,
        "action": action,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "actor_unit": actor_unit,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "data": data or {},
        "public": public,
    }
