"""Events API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema


class EventCreate(InSchema):
    category: str = Field(max_length=64, description="category code, e.g. city_appearance.street_vending")
    description: str = Field(max_length=4000, description="what is wrong, in the reporter's words")
    title: str = Field("", max_length=200)
    severity: str | None = Field(None, description="urgent | high | normal (default: the category's)")
    source: str = Field("citizen", description="citizen | grid_worker | department | patrol | emergency | import …")
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    unit_code: str | None = Field(None, max_length=20, description="explicit location unit (NBS code)")
    related_unit_codes: list[str] = Field(
        default_factory=list, max_length=20, description="other units a matter spans; it goes to their common centre"
    )
    reporter_name: str = Field("", max_length=40)
    reporter_phone: str = Field("", max_length=20)
    attributes: dict[str, Any] = Field(default_factory=dict, description="the category's required fields")
    attachments: list[dict[str, Any]] = Field(default_factory=list, max_length=20, description="metadata only")
    idempotency_key: str | None = Field(None, max_length=120)


class EventRead(Schema):
    id: int
    ref: str
    source: str
    category_id: int
    category: str = ""
    category_name: str = ""
    category_name_en: str = ""
    severity: str
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    unit_id: int
    unit_name: str = ""
    unit_place: str = Field("", description="where, in words: district › street › community › grid (no city)")
    locate_reason: str
    owner_unit_id: int
    owner_department_id: int | None
    owner_name: str = ""
    dispatcher_unit_id: int | None
    route_reason: str
    status: str
    stage: str
    version: int
    due_at: datetime | None
    overdue: bool
    warned: bool
    escalation_level: int
    supervised_by_unit_id: int | None
    extension_requested: str | None
    return_count: int
    reopen_count: int
    merged_into_id: int | None
    reporter_name: str
    reporter_phone: str = Field(description="masked (138****1234) except where the caller may see it")
    attributes: dict[str, Any]
    attachments: list[dict[str, Any]]
    received_at: datetime
    closed_at: datetime | None
    rating: str | None
    needs_review: bool
    is_drill: bool
    created: bool | None = None
    allowed_actions: list[str] | None = None


class EventPage(Page[EventRead]):
    pass


class TimelineEntry(Schema):
    id: int
    at: datetime
    action: str
    actor_name: str
    actor_unit: str
    from_status: str | None
    to_status: str | None
    note: str
    data: dict[str, Any]


class EventDetail(EventRead):
    timeline: list[TimelineEntry]


class ActionIn(InSchema):
    note: str = Field("", max_length=2000, description="reason or remark; required for return, void, suspend …")
    version: int | None = Field(None, description="the version you last saw; a stale one is refused with 409")
    department_id: int | None = None
    unit_id: int | None = None
    duration: str | None = Field(None, max_length=10, description="extension asked for, e.g. 2wd or 4h")
    rating: str | None = Field(None, description="satisfied | basically_satisfied | unsatisfied")
    master_id: int | None = Field(None, description="merge: the event this one is merged into")
    category: str | None = Field(None, max_length=64, description="recategorize: the new category code")


class BatchRowError(Schema):
    row: int
    field: str
    reason: str
    error: str


class BatchResult(Schema):
    received: int
    created: int
    duplicates: int
    failed: int
    events: list[dict[str, Any]]
    errors: list[BatchRowError]


class CategoryRead(Schema):
    id: int
    code: str
    name: str
    name_en: str
    family: str
    parent_id: int | None
    default_severity: str
    keywords: list[str]
    required_fields: list[dict[str, Any]]
    deadlines: dict[str, dict[str, str]]
    active: bool


class CategoryUpdate(InSchema):
    name: str | None = Field(None, min_length=1, max_length=80)
    default_severity: str | None = Field(None, pattern="^(urgent|high|normal)$", description="urgent | high | normal")
    keywords: list[str] | None = None
    required_fields: list[dict[str, str | int | float | bool]] | None = None
    deadlines: dict[str, dict[str, str]] | None = None
    active: bool | None = None


class DutyIn(InSchema):
    category: str
    unit_code: str | None = Field(None, description="omit for the default that applies everywhere")
    level: str = Field(description="street | district | city")
    assignee: str = Field(description="centre | department")
    department_code: str | None = None
    note: str = Field("", max_length=200)


class DutyRead(Schema):
    id: int
    category_id: int
    unit_id: int | None
    level: str
    assignee: str
    department_code: str | None
    note: str


class CalendarDayRead(Schema):
    day: str = Field(description="YYYY-MM-DD")
    kind: str = Field(description="holiday | workday")
    name: str


class DutyImportOut(Schema):
    applied: int
    errors: list[dict[str, Any]] = Field(description="bad rows: row, field and reason")


class FlowTransition(Schema):
    from_: str = Field(alias="from")
    action: str
    to: str


class FlowPermission(Schema):
    roles: list[str]
    relation: str
    note: str


class FlowOut(Schema):
    """The event workflow as data: every allowed (state, action) → state, and who may take each action."""

    name: str
    transitions: list[FlowTransition]
    permissions: dict[str, FlowPermission]


class CalendarDayIn(InSchema):
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    kind: str = Field(description="holiday | workday")
    name: str = Field("", max_length=40)


class MetricsOut(Schema):
    unit_id: int
    unit_name: str
    since: str
    until: str
    figures: dict[str, Any]
    children: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    by_department: list[dict[str, Any]]


class DuplicateCandidate(Schema):
    event: EventRead
    distance_m: float
    hours_apart: float
    similarity: float
