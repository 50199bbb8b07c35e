"""Request and response bodies of the plan routes: configurations, runs and steps, tasks, emergency direct
reports and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema


class PlanRead(Schema):
    id: int
    key: str
    unit_id: int
    level: str
    version: int
    spec: dict[str, Any]
    updated_at: datetime
    updated_by: str


class PlanIn(InSchema):
    key: str = Field(min_length=1, max_length=64)
    unit_id: int | None = Field(None, description="where this configuration applies; default: the city")
    spec: dict[str, Any] = Field(description="the city template in full, or what an override changes")


class PlanPage(Page[PlanRead]):
    pass


class EffectiveOut(Schema):
    key: str
    unit_id: int
    plan: dict[str, Any]
    levels: list[dict[str, Any]]


class ImportOut(Schema):
    created: int
    changed: int
    unchanged: int
    errors: list[dict[str, Any]]


class VersionRead(Schema):
    version: int
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


class PlanDetail(PlanRead):
    versions: list[VersionRead]


class StepRead(Schema):
    id: int
    seq: int
    key: str
    kind: str
    title: str
    mandatory: bool
    level: str
    unit_id: int
    department_id: int | None
    roles: list[str]
    instructions: str
    checklist: list[dict[str, Any]]
    resources: list[str]
    status: str
    due_at: datetime | None
    overdue: bool
    escalated_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    note: str


class RunRead(Schema):
    id: int
    plan_key: str
    plan_id: int
    plan_version: int
    levels: list[dict[str, Any]]
    name: str
    event_id: int | None
    unit_id: int
    trigger: str
    reason: str
    is_drill: bool
    status: str
    started_at: datetime
    started_by: str
    closed_at: datetime | None
    closed_by: str | None


class RunDetail(RunRead):
    steps: list[StepRead]


class RunPage(Page[RunRead]):
    pass


class RunIn(InSchema):
    plan_key: str = Field(min_length=1, max_length=64)
    event_id: int | None = None
    unit_id: int | None = None
    drill: bool = False
    reason: str = Field("", max_length=300)


class StepIn(InSchema):
    action: str = Field(pattern="^(done|skip)$")
    note: str = Field("", max_length=400, description="required when skipping")
    checklist: list[bool] | None = Field(None, description="one flag per checklist item")


class CloseIn(InSchema):
    note: str = Field("", max_length=400)


class TaskRead(StepRead):
    run_id: int
    run_name: str
    event_id: int | None
    is_drill: bool


class TaskPage(Page[TaskRead]):
    pass


class ReportIn(InSchema):
    category: str = Field(min_length=1, max_length=64, description="a catalogue code, e.g. work_safety.gas_leak")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    unit_code: str | None = Field(None, max_length=20, description="default: the reporter's own unit")
    idempotency_key: str | None = Field(None, max_length=120)
    drill: bool = False


class ReportSummary(Schema):
    id: int
    ref: str
    title: str
    category_code: str
    unit_id: int
    reporter: str
    event_id: int | None
    is_drill: bool
    created_at: datetime


class ReportPage(Page[ReportSummary]):
    pass


class NotificationRead(Schema):
    id: int
    kind: str
    title: str
    body: str
    subject_type: str
    subject_id: int
    is_drill: bool
    created_at: datetime
    read: bool = False


class NotificationPage(Page[NotificationRead]):
    unread: int = Field(description="how many of the caller's notifications the caller has not read")


class ReportLevelRead(Schema):
    """One centre told of a direct report: when (each time), and when and by whom it acknowledged."""

    level: str
    unit_id: int
    unit: str
    told_at: list[datetime]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    upper_told_at: datetime | None = Field(description="when the centre above was told it had not acknowledged")


class ReportLogRead(Schema):
    level: str
    action: str
    at: datetime
    by: str
    note: str


class RunBrief(Schema):
    id: int
    name: str
    status: str


class DirectReportDetail(Schema):
    id: int
    ref: str
    title: str
    description: str
    category: str
    address: str
    unit_id: int
    reporter: str
    event_id: int | None
    drill: bool
    created_at: datetime
    levels: list[ReportLevelRead]
    log: list[ReportLogRead]
    plan_runs: list[RunBrief] = Field(description="plans started for the report's event")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int
    unread: int
