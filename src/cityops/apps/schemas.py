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


class AppFields(InSchema):
    name_en: str | None = Field(None, max_length=160)
    family: str | None = Field(None, pattern="^(party|government|economy|society|culture|rule_of_law)$")
    level: str | None = Field(None, pattern="^(city|district|street)$")
    owner_department: str | None = Field(None, max_length=32)
    description: str | None = Field(None, max_length=4000)
    security_level: str | None = Field(None, max_length=12, description="安全等级, e.g. 二级")
    funding_source: str | None = Field(None, max_length=80, description="建设资金来源")
    launched_on: date | None = Field(None, description="上线时间")
    operator: str | None = Field(None, max_length=120, description="运维单位")
    offers_api: bool | None = None


class AppCreate(AppFields):
    code: str = Field(pattern="^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=120)


class AppUpdate(AppFields):
    name: str | None = Field(None, min_length=1, max_length=120)


class StatusIn(InSchema):
    action: str = Field(max_length=16, description="list | launch | connect | disconnect | suspend | unlist")
    reason: str = Field(min_length=1, max_length=400)


class DeploymentIn(InSchema):
    unit_id: int


class BundleRead(Schema):
    key: str
    name: str
    name_en: str = ""
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
