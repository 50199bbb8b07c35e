"""Request and response bodies of the indicators API (boards and an indicator's detail are still nested
dicts: see tests/core/test_openapi_models.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cityops.core.schemas import InSchema, Schema


class RiskPromptOut(Schema):
    id: int
    indicator_id: int
    unit_id: int
    period: str = Field(description="the period key: 2026-03-02, 2026-03, 2026 …")
    value: float | None
    text: str
    created_at: str = Field(description="ISO 8601")
    status: str


class FormIndicatorIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    template_id: int = Field(ge=1, le=2**31 - 1)
    field: str = Field(min_length=1, max_length=64, description="a field code of the template")
    agg: str = Field("count", max_length=10, description="count | count_eq | sum | avg | min | max")
    equals: str = Field("", max_length=80, description="the value counted by count_eq")
    period: str = Field("now", max_length=8, description="now (current facts) | today | 30d | month | year")
    unit: str = Field("个", max_length=16)
    direction: str = Field("higher", max_length=8)
    target: float | None = None


class FormIndicatorOut(Schema):
    id: int
    code: str
    name: str
    source: dict[str, Any]
    period: str
