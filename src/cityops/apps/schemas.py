"""App ledger and bundle API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from cityops.core.schemas import InSchema, Schema


class AppRead(Schema):
    id: int
    code: str
    name: str
    name_en: str
    family: str | None
    level: str
    owner_department: str | None
    description: str
    security_level: str | None
    funding_source: str | None
    launched_on: date | None
    operator: str | None
    offers_api: bool
    status: str
    status_name: str = ""
    bundle_key: str | None


class StatusLogRead(Schema):
    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    reason: str


class DeploymentRead(Schema):
    id: int
    unit_id: int
    unit_name: str = ""
    level: str
    deployed_at: datetime
    deployed_by: str


class LevelUseRead(Schema):
    level: str
    uses: int
    units: list[dict[str, Any]]


class UsageRead(Schema):
    since: datetime
    until: datetime
    connected: bool
    missing: list[str]
    levels: list[LevelUseRead]


class AppDetail(Schema):
    app: AppRead
    history: list[StatusLogRead]
    deployments: list[DeploymentRead]
    usage: UsageRead
    allowed_actions: list[str]
    menu: list[dict[str, str]]
    content: dict[str, int]


class AppPage(Schema):
    items: list[AppRead]
    total: int
    figures: dict[str, int]


class StatusIn(InSchema):
    action: str = Field(max_length=16, description="list | launch | connect | disconnect | suspend | unlist")
    reason: str = Field(min_length=1, max_length=400)


class DeploymentIn(InSchema):
    unit_id: int


class BundleRead(Schema):
    key: str
    name: str
    available: int | None
    installed: int | None
    status: str
    requires: list[str]
    kinds: dict[str, int]


class ChangeRead(Schema):
    kind: str
    key: str
    action: str
    fields: list[str]
    kept: list[str]
    note: str


class BundleReport(Schema):
    bundle: str
    name: str
    version_from: int | None
    version_to: int | None
    dry_run: bool
    counts: dict[str, int]
    changes: list[ChangeRead]
