"""Org API shapes."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from cityops.core.pagination import Page
from cityops.core.schemas import InSchema, Schema


class UnitRead(Schema):
    id: int
    code: str | None
    name: str
    short_name: str
    level: str
    kind: str
    parent_id: int | None
    path: str
    generated: bool
    lon: float | None
    lat: float | None


class UnitDetail(UnitRead):
    ancestors: list[UnitRead]
    children_count: int
    centre: str | None
    successor_id: int | None


class UnitPage(Page[UnitRead]):
    pass


class DepartmentRead(Schema):
    id: int
    unit_id: int
    code: str
    name: str
    short_name: str
    duty_scope: list[str]


class CentreRead(Schema):
    id: int
    unit_id: int
    level: str
    name: str
    state: str


class ResolveIn(InSchema):
    lon: float | None = Field(None, description="longitude (WGS84/CGCS2000)")
    lat: float | None = Field(None, description="latitude")
    text: str | None = Field(None, max_length=500, description="address text, e.g. 渝中区解放碑街道…")
    fallback: bool = Field(False, description="return the city centre for manual triage instead of a 422")

    @model_validator(mode="after")
    def _something_given(self) -> ResolveIn:
        if self.lon is None and self.lat is None and not (self.text or "").strip():
            raise ValueError("give lon and lat, or text")
        return self


class ResolveOut(Schema):
    unit_id: int
    level: str
    name: str
    confidence: float
    reason: str
    method: str
    district_id: int | None
    street_id: int | None
    community_id: int | None
    candidates: list[dict[str, Any]] = Field(default_factory=list, description="triage: the units it may mean")


class ResolveBatchIn(InSchema):
    items: list[dict[str, Any]] = Field(min_length=1, max_length=100_000)
    fallback: bool = False


class ResolveBatchItem(Schema):
    index: int
    ok: bool
    result: ResolveOut | None = None
    error: dict[str, Any] | None = None


class ResolveBatchOut(Schema):
    resolved: int
    failed: int
    items: list[ResolveBatchItem]


class RenameIn(InSchema):
    name: str = Field(min_length=1, max_length=80)


class MoveIn(InSchema):
    parent_id: int


class MergeIn(InSchema):
    target_id: int


class SplitIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    child_ids: list[int] = Field(min_length=1)
    code: str | None = Field(None, max_length=20)


class UnitChangeRead(Schema):
    id: int
    kind: str
    unit_id: int
    other_unit_id: int | None
    data: dict[str, Any]
    actor_name: str
