"""AI request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cityops.core.schemas import InSchema, Schema


class SuggestionOut(Schema):
    code: str
    name: str
    score: float
    owner: str = ""


class SuggestionsOut(Schema):
    items: list[SuggestionOut]
    source: str = Field(description="model | keywords (too little history, or no live model)")
    model_version: str | None = None
    note: str = ""


class SimilarOut(Schema):
    event_id: int
    ref: str
    title: str
    status: str
    similarity: float
    distance_m: float | None = None


class EventAssistOut(Schema):
    suggestions: SuggestionsOut
    similar: list[SimilarOut]


class ModelOut(Schema):
    id: int
    version: str
    trained_at: datetime
    trained_by: str
    n_events: int
    metrics: dict[str, Any]
    live: bool
    component_id: int | None = None
    note: str = ""


class TrainIn(InSchema):
    note: str = Field("", max_length=500)


class ThresholdIn(InSchema):
    threshold: float | None = Field(None, description="0.5–1; null turns auto-dispatch off for the category")


class ThresholdOut(Schema):
    category: str
    name: str
    threshold: float


class HotSpotEventOut(Schema):
    id: int
    ref: str
    title: str
    status: str
    received_at: datetime


class HotSpotOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    category: str
    title: str
    count: int
    first_at: datetime
    last_at: datetime
    prompt_text: str
    events: list[HotSpotEventOut]


class SummaryOut(Schema):
    text: str
    source: str = Field(description="llm | local")
    note: str = ""


class AutoDispatchOut(Schema):
    auto_dispatched: int
    returned_or_reassigned: int
    rate: float | None
