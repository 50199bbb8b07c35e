"""Sensing's request and response bodies: ingest results, devices and their rollups, alarms, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema
from cityops.sensing.alarms import MAX_NOTE


class IngestOut(Schema):
    accepted: int
    rejected: list[dict[str, Any]]
    alarms_raised: int
    alarms_cleared: int
    duplicates: int = 0  # re-sent readings (same device and time), stored once
    events_opened: list[int]


class RegisterOut(Schema):
    registered: int
    failed: int
    errors: list[dict[str, Any]] = Field(description="each refused row: its number, field and reason")


class DeviceRead(Schema):
    id: int
    code: str
    type_code: str
    name: str
    lon: float | None
    lat: float | None
    unit_id: int
    department_id: int | None
    sector: str | None
    status: str
    rules: list[dict[str, Any]]
    last_value: float | None
    last_ts: datetime | None


class DevicePage(Page[DeviceRead]):
    pass


class AlarmRead(Schema):
    id: int
    device_id: int
    type: str
    severity: str
    status: str
    start_ts: datetime
    end_ts: datetime
    ack_ts: datetime | None
    clear_ts: datetime | None
    value: float | None
    sector: str | None
    event_id: int | None


class AlarmPage(Page[AlarmRead]):
    pass


class DeviceDetail(DeviceRead):
    active_alarms: list[AlarmRead]


class SeriesPoint(Schema):
    bucket: str = Field(description="the bucket's start, ISO 8601")
    n: int
    mean: float
    min: float | None
    max: float | None
    last: float | None


class RulesIn(InSchema):
    rules: list[dict[str, Any]] = Field(description="rule specs; see cityops.sensing.rules")


class DeviceTypeRead(Schema):
    code: str
    name: str
    unit: str
    expected_interval_s: int
    sector: str | None
    category_code: str
    rules: list[dict[str, Any]]


class NoteIn(InSchema):
    note: str = Field("", max_length=MAX_NOTE)


class IngestCount(Schema):
    source: str
    reason: str
    count: int


class SensingStats(Schema):
    devices: dict[str, int] = Field(description="devices by status in the caller's jurisdiction")
    ingest: list[IngestCount]
