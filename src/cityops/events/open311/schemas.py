"""GeoReport v2 answers as documented models (the routes render them as JSON or XML by the path's format, so
these describe the JSON form; field names are the standard's)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true when the service has attributes (see its definition)")
    type: str
    keywords: str
    group: str


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict[str, Any]] = Field(description="variable, code, datatype, required, order, description …")


class RequestOut(BaseModel):
    """A service request; fields the standard marks optional may be empty."""

    service_request_id: str
    status: str = Field(description="open | closed")
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class RequestCreated(BaseModel):
    """The answer to a new request (or a token's lookup): its id, and a notice or the token."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str | None = None


class RequestUpdate(BaseModel):
    service_request_id: str
    update_id: str
    status: str
    updated_datetime: str
    description: str
    media_url: str | None = None
    external_status_code: str | None = None


class UpdateReceived(BaseModel):
    update_id: str
