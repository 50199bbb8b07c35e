"""API shapes of the grid domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema


class GridOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_name: str
    dedicated_type: str
    has_polygon: bool
    generated: bool
    version: int
    valid_from: datetime | None
    community_id: int | None


class GridVersionOut(Schema):
    version: int
    name: str
    kind: str
    dedicated_type: str
    has_polygon: bool
    valid_from: datetime
    valid_to: datetime | None
    source: str
    changed_by: str


class ImportOut(Schema):
    saved: int
    errors: list[dict[str, Any]]


class AssignmentIn(InSchema):
    user_id: int = Field(ge=1, le=2**31 - 1)
    employment: str = Field("full_time", max_length=12, description="full_time (专职) | part_time (兼职)")
    shift: str = Field("", max_length=60, description="e.g. 周一至周五 08:30-17:30")
    phone: str = Field("", max_length=20)


class RosterOut(Schema):
    id: int
    grid_id: int
    grid_code: str
    grid_name: str
    user_id: int
    name: str
    username: str
    employment: str
    employment_name: str
    shift: str
    phone: str
    assigned_at: datetime


class CoverageOut(Schema):
    grids: int
    covered: int
    with_full_time: int
    uncovered: list[GridOut]


class CheckpointIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class PlanIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    checkpoints: list[CheckpointIn] = Field(default_factory=list, max_length=50)
    per_day: int = Field(1, ge=1, le=12)
    window_start: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    window_end: str = Field("18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class PlanOut(Schema):
    id: int
    grid_unit_id: int
    name: str
    checkpoints: list[dict[str, Any]]
    per_day: int
    window_start: str
    window_end: str


class CheckInIn(InSchema):
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=300)
    checkpoint: str = Field("", max_length=80)


class CheckInOut(Schema):
    id: int
    at: datetime
    lon: float | None
    lat: float | None
    address: str
    checkpoint: str
    position: str
    reason: str
    on_time: bool
    flagged: bool


class PatrolOut(Schema):
    id: int
    plan_id: int
    grid_unit_id: int
    user_id: int
    started_at: datetime
    ended_at: datetime | None
    flagged: bool
    checkins: list[CheckInOut] = Field(default_factory=list)


class PlanDayOut(Schema):
    plan_id: int
    plan_name: str
    grid_unit_id: int
    day: str
    required: int
    done: int
    missed: int


class ReportIn(InSchema):
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=4000)
    grid_id: int | None = Field(None, ge=1, le=2**31 - 1)
    title: str = Field("", max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=300)
    photo_ids: list[int] = Field(default_factory=list, max_length=6)
    after_photo_ids: list[int] = Field(default_factory=list, max_length=6)
    on_spot: bool = False
    note: str = Field("", max_length=400)
    idempotency_key: str | None = Field(None, max_length=120)
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="the category's required fields (e.g. manhole_type for a missing cover)"
    )


class ReportOut(Schema):
    id: int
    event_id: int
    ref: str
    status: str
    source: str
    on_spot: bool
    session_id: int | None
    photos: list[dict[str, Any]]


class KpisOut(Schema):
    first: str
    last: str
    workers: int
    reports: int
    valid_reports: int
    on_spot: int
    patrols_required: int
    patrols_done: int
    checkins: int
    checkins_on_time: int
    checkins_flagged: int
    reports_per_worker: float | None
    valid_report_rate: float | None
    on_spot_rate: float | None
    patrol_coverage: float | None
    on_time_checkin_rate: float | None


class GridPage(Page[GridOut]):
    pass


class GridDetail(GridOut):
    """One grid with its boundary, its versions, who covers it and its patrol plans."""

    geometry: str | None = Field(description="the boundary, a GeoJSON geometry as text")
    versions: list[GridVersionOut]
    workers: list[RosterOut]
    plans: list[PlanOut]


class AssignmentEnded(Schema):
    id: int
    active: bool
    ended_at: datetime | None


class PlanPage(Page[PlanOut]):
    pass


class PatrolPage(Page[PatrolOut]):
    pass
