"""Shared Pydantic base: from_attributes, stripped strings, forbid unknown fields on input."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


class InSchema(BaseModel):
    """Request bodies: unknown fields are an error that names the field, not silently ignored."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class ErrorOut(BaseModel):
    error: str
    code: str = Field(
        description="Stable name of the rule that refused the request (e.g. event.stale_version, plan.steps_pending, "
        "event.invalid_description); clients branch on it, never on the wording of detail."
    )
    detail: str
    data: dict[str, object] = {}


class GeoFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int | str | None = None
    geometry: dict[str, Any] | None = Field(description="a GeoJSON geometry (RFC 7946)")
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A map layer (GeoJSON, RFC 7946), answered as application/geo+json."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GeoFeature]


GEOJSON: dict[int | str, dict[str, Any]] = {200: {"content": {"application/geo+json": {}}}}
