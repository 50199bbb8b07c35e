"""Shared Pydantic base: from_attributes, stripped strings, forbid unknown fields on input."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


INT64 = 2**63 - 1  # the widest integer a database column holds (SQLite's; PostgreSQL's bigint)


class InSchema(BaseModel):
    """Request bodies: unknown fields are an error that names the field, not silently ignored; so is a number
    no column can hold (JSON's `Infinity`/`NaN`, an integer past 64 bits), which would otherwise fail only
    when stored, with no field named."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_integer(cls, value: Any) -> Any:
        if _too_wide(value):
            raise ValueError("数值超出范围 / number out of range")
        return value


def _too_wide(value: Any) -> bool:
    """An integer no column holds, alone or in a list of ids. Free-form JSON (a mapping, nested lists) is
    stored as text and not looked into: walking it would recurse as deep as a client nests it."""
    if isinstance(value, list | tuple | set | frozenset):
        return any(_wide_int(v) for v in value)
    return _wide_int(value)


def _wide_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64


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
