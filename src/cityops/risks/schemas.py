"""Risk register API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema


class CategoryRead(Schema):
    id: int
    code: str
    name: str
    name_en: str
    parent_id: int | None
    checklist: list[str]
    cycle_days: int


class PointCreate(InSchema):
    name: str = Field(min_length=1, max_length=160)
    category: str = Field(max_length=64, description="risk category code, e.g. geohazard.rock")
    unit_id: int = Field(description="the street, community or grid where the point lies")
    likelihood: int = Field(ge=1, le=5, description="1 极不可能 … 5 很可能")
    consequence: int = Field(ge=1, le=5, description="1 轻微 … 5 特别严重")
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    polygon: dict[str, Any] | None = Field(None, description="GeoJSON Polygon geometry for an area")
    owner_department_id: int | None = None
    responsible_person: str = Field("", max_length=40)
    responsible_phone: str = Field("", max_length=20)
    control_measures: str = Field("", max_length=4000)
    device_codes: list[str] = Field(default_factory=list, max_length=50)
    plan_keys: list[str] = Field(default_factory=list, max_length=20)
    cycle_days: int | None = Field(None, ge=1, le=366, description="inspection cycle; default: the category's")
    reasons: str = Field("", max_length=2000, description="why this likelihood and consequence")


class PointRead(Schema):
    id: int
    ref: str
    name: str
    category_id: int
    category: str = ""
    category_name: str = ""
    unit_id: int
    unit_name: str = ""
    owner_department_id: int | None
    responsible_person: str
    address: str
    lon: float | None
    lat: float | None
    polygon: dict[str, Any] | None
    control_measures: str
    plan_keys: list[str]
    device_ids: list[int] = Field(default_factory=list)
    likelihood: int
    consequence: int
    score: int
    level: str
    level_name: str = ""
    color: str = ""
    cycle_days: int
    next_review_at: datetime
    is_demo: bool
    version: int


class PointPage(Page[PointRead]):
    pass


class ReassessIn(InSchema):
    likelihood: int = Field(ge=1, le=5)
    consequence: int = Field(ge=1, le=5)
    reasons: str = Field(min_length=1, max_length=2000)


class AssessmentRead(Schema):
    id: int
    at: datetime
    by: str
    trigger: str
    likelihood: int
    consequence: int
    score: int
    level: str
    previous_level: str | None
    reasons: str
    alarm_id: int | None
    event_id: int | None


class PointDetail(PointRead):
    assessments: list[AssessmentRead]
    checklist: list[str]


class InspectionRead(Schema):
    id: int
    point_id: int
    kind: str
    hazard_id: int | None
    unit_id: int
    status: str
    due_at: datetime
    overdue: bool
    escalated_at: datetime | None
    escalated_to_unit_id: int | None
    done_at: datetime | None
    done_by: str | None
    checklist: list[dict[str, Any]]
    result: str | None
    note: str


class InspectionPage(Page[InspectionRead]):
    pass


class CheckIn(InSchema):
    ok: bool
    note: str = Field("", max_length=300)


class InspectionResultIn(InSchema):
    checks: list[CheckIn] = Field(max_length=50, description="one per checklist item, in order")
    note: str = Field("", max_length=1000)


class HazardCreate(InSchema):
    point_id: int
    title: str = Field(min_length=1, max_length=200)
    grade: str = Field(pattern="^(general|major)$", description="general 一般隐患 | major 重大隐患")
    description: str = Field("", max_length=4000)
    deadline: AwareDatetime | None = Field(None, description="一般隐患限期整改: the deadline, with its time zone")
    inspection_id: int | None = None


class HazardRead(Schema):
    id: int
    ref: str
    point_id: int | None
    unit_id: int
    title: str
    description: str
    grade: str
    source: str
    inspection_id: int | None
    alarm_id: int | None
    status: str
    deadline: datetime | None
    plan: dict[str, Any] | None
    supervised_at: datetime | None
    supervised_by_unit_id: int | None
    event_id: int | None
    found_at: datetime
    found_by: str
    closed_at: datetime | None
    version: int
    allowed_actions: list[str] = Field(default_factory=list)
    missing_for_close: list[str] = Field(default_factory=list)


class HazardPage(Page[HazardRead]):
    pass


class HazardActionIn(InSchema):
    note: str = Field("", max_length=1000)
    version: int | None = None


class PlanIn(InSchema):
    measures: str = Field(min_length=1, max_length=4000)
    funds: str = Field(min_length=1, max_length=200, description="amount and source of the funds")
    unit: str = Field(min_length=1, max_length=200)
    person: str = Field(min_length=1, max_length=40)
    deadline: AwareDatetime
    interim_measures: str = Field(min_length=1, max_length=4000)


class ReinspectionIn(InSchema):
    passed: bool
    note: str = Field(min_length=1, max_length=1000)


class ToEventIn(InSchema):
    category: str | None = Field(None, max_length=64, description="event category; default: by the risk category")
    note: str = Field("", max_length=2000)


class HazardLogRead(Schema):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor_name: str
    note: str


class HazardDetail(HazardRead):
    log: list[HazardLogRead]


class PromptRead(Schema):
    id: int
    point_id: int
    unit_id: int
    alarm_id: int | None
    text: str
    status: str
    created_at: datetime


class ImportOut(Schema):
    created: int
    errors: list[dict[str, Any]] = Field(description="[{row, field, reason}] per refused row (1-based sheet rows)")


class FiguresOut(Schema):
    unit_id: int
    by_level: dict[str, int]
    points: int
    overdue_inspections: int
    open_major_hazards: int
    found_this_year: int
    closed_this_year: int
    rectification_rate: float | None


class Band(Schema):
    min_score: int
    level: str


class MatrixOut(Schema):
    grid: list[list[str]] = Field(description="levels; rows likelihood 5→1, columns consequence 1→5")
    bands: list[Band]


class PhotoOut(Schema):
    id: int
    filename: str
    size: int
    sha256: str


class EventLink(Schema):
    event_id: int
