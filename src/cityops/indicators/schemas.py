"""Request and response bodies of the indicators API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class _Open(BaseModel):
    """An answer whose documented fields are typed here, and whose labels (added by `indicators.current` for
    the page: period and scope names, display strings) pass through as they are."""

    model_config = ConfigDict(extra="allow")


class IndicatorValueOut(_Open):
    period: str = Field(description="the period key: 2026-03-02, 2026-03, 2026 …")
    value: float | None
    target: float | None
    comparator: str | None = None
    score: float | None
    status: str | None = Field(description="green | amber | red | none")
    provenance: dict[str, Any] = Field(default_factory=dict, description="source document and quote")
    scope: str | None = Field(None, description="unit: the viewer's unit's own figure; city: the city's")


class _IndicatorHeadOut(_Open):
    """What a board's item and an indicator's detail both say of the indicator itself."""

    id: int
    code: str
    name: str
    name_en: str
    kind: str
    unit: str
    period: str
    direction: str


class BoardIndicatorOut(_IndicatorHeadOut):
    latest: IndicatorValueOut | None


class RunwayOut(Schema):
    id: int
    code: str
    name: str
    status: str = Field(description="the worst status among its indicators: red | amber | green | none")
    indicators: list[BoardIndicatorOut]


class BoardOut(Schema):
    id: int
    code: str
    name: str
    runways: list[RunwayOut]


class DrillRowOut(_Open):
    unit_id: int
    unit: str = Field(description="the child unit's name")
    display: str
    value: float | None = None
    score: float | None = None
    status: str | None = None


class IndicatorDetailOut(_IndicatorHeadOut):
    target: float | None
    source: dict[str, Any] = Field(description="how it is computed: events | alarms | readings | external …")
    unit_id: int
    unit_name: str
    scope: str = Field(description="unit | city (a report figure shown as the city's)")
    current: IndicatorValueOut | None
    history: list[IndicatorValueOut]
    drill_down: list[DrillRowOut]
