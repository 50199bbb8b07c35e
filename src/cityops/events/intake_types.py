"""What goes into intake and what comes out, shared by its phases (validate, locate, write)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cityops.core.errors import CityOpsError
from cityops.events.catalogue import CategoryView
from cityops.events.models import Source


@dataclass
class IntakeItem:
    category: str
    description: str
    source: str = Source.citizen
    title: str = ""
    severity: str | None = None
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    unit_code: str | None = None  # an explicit location unit, e.g. the grid worker's own grid
    unit_id: int | None = None  # the same by id (sensors know their unit)
    related_unit_codes: list[str] = field(default_factory=list)  # a matter spanning several units
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_user_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    idempotency_key: str | None = None
    received_at: datetime | None = None  # imports and replays keep their original time
    is_drill: bool = False

    def __post_init__(self) -> None:
        # A blank key is no key: stored as "" it would make the next blank one a unique-index conflict.
        self.idempotency_key = (self.idempotency_key or "").strip() or None


@dataclass
class IntakeResult:
    index: int
    event_id: int | None = None
    ref: str | None = None
    created: bool = False
    error: dict[str, Any] | None = None
    # A single new report's event, already in the session (it holds the object: the identity map is weak).
    event: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None


Candidate = tuple[int, IntakeItem, CategoryView]  # (index in the batch, item, its category)


def fail(exc: CityOpsError) -> dict[str, Any]:
    return {"error": exc.name, "field": str(exc.data.get("field", "")), "reason": exc.detail}
