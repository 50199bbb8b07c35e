"""渣土治理 API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from cityops.core.schemas import InSchema, Schema


class SiteCreate(InSchema):
    kind: str = Field(description="construction (建筑工地) | disposal (消纳场)")
    name: str = Field(min_length=1, max_length=160)
    unit_id: int
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float = Field(150.0, description="a point with a radius, when no polygon")
    polygon: dict[str, Any] | None = Field(None, description="GeoJSON Polygon, when imported")
    address: str = Field("", max_length=300)
    license_no: str = Field("", max_length=60)
    licensed_until: date | None = None


class SiteRead(Schema):
    id: int
    kind: str
    name: str
    unit_id: int
    lon: float
    lat: float
    radius_m: float
    polygon: dict[str, Any] | None
    license_no: str
    licensed_until: date | None
    status: str
    is_demo: bool


class TruckCreate(InSchema):
    code: str = Field(min_length=1, max_length=48, description="GPS terminal id; channels are <code>.lat|lon|spd")
    plate: str = Field(min_length=7, max_length=8)
    unit_id: int
    company: str = Field("", max_length=160)
    route: list[list[float]] | None = Field(None, description="approved corridor centre line [[lon, lat], …]")
    route_width_m: float = Field(200.0, ge=20, le=5000)
    night_permit_until: date | None = None
    license_no: str = Field("", max_length=60)


class TruckRead(Schema):
    id: int
    code: str
    plate: str
    company: str
    unit_id: int
    route: list[list[float]] | None
    route_width_m: float
    night_permit_until: date | None
    status: str
    is_demo: bool
    checked_ts: datetime | None


class ViolationRead(Schema):
    id: int
    truck_id: int
    kind: str
    at: datetime
    lon: float
    lat: float
    site_id: int | None
    site_distance_m: float | None
    minutes: float | None
    event_id: int | None
    track: list[list[Any]]


class ScanOut(Schema):
    opened: int


class KpisOut(Schema):
    first: str
    last: str
    violations: int
    closed: int
    closure_rate: float | None
    by_kind: dict[str, int]


class TrackOut(Schema):
    """One truck's positions of a day, in order, for the map."""

    truck_id: int
    plate: str
    points: list[list[float]] = Field(description="[lon, lat] pairs")
