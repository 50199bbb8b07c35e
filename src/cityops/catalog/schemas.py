"""Request and response shapes of the catalogue API (times ISO 8601 UTC)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityops.catalog.models import OpenType, ShareType
from cityops.catalog.vocab import FORMAT_CLASSES, ITEM_TYPES, UPDATE_CYCLES
from cityops.core.pagination import Page


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=60)  # 信息项名称
    type: str = "字符"
    share_type: ShareType = ShareType.unconditional
    share_condition: str = Field("", max_length=400)

    @model_validator(mode="after")
    def _check(self) -> ItemIn:
        if self.type not in ITEM_TYPES:
            raise ValueError(f"数据类型应为 {'、'.join(ITEM_TYPES)} 之一 / unknown data type {self.type!r}")
        if self.share_type != ShareType.unconditional and not self.share_condition.strip():
            raise ValueError(f"信息项「{self.label}」须写明共享条件或不予共享的依据 / condition required")
        return self


class EntryIn(BaseModel):
    """The national core metadata of one 信息资源 (编制指南 6.2)."""

    code: str = Field(min_length=3, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z/_.-]*$")
    title: str = Field(min_length=2, max_length=200)
    classification: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, max_length=4000)
    format_class: str
    format: str = Field(min_length=1, max_length=40)
    update_cycle: str
    share_type: ShareType
    share_condition: str = Field("", max_length=1000)
    open_type: OpenType = OpenType.closed
    open_condition: str = Field("", max_length=1000)
    related_codes: list[str] = Field(default_factory=list, max_length=50)
    items: list[ItemIn] = Field(min_length=1, max_length=200)
    department_id: int | None = None  # a data_admin of a centre (no department) catalogues for the centre

    @model_validator(mode="after")
    def _check(self) -> EntryIn:
        if self.format_class not in FORMAT_CLASSES:
            raise ValueError(f"信息资源格式应为 {'、'.join(FORMAT_CLASSES)} 之一 / unknown format class")
        if self.update_cycle not in UPDATE_CYCLES:
            raise ValueError(f"更新周期应为 {'、'.join(UPDATE_CYCLES)} 之一 / unknown update cycle")
        if self.share_type != ShareType.unconditional and not self.share_condition.strip():
            raise ValueError("有条件共享须写明条件，不予共享须写明依据 / share condition required")
        names = [i.name for i in self.items]
        if len(names) != len(set(names)):
            raise ValueError("信息项名称重复 / duplicate item names")
        return self


class ItemOut(BaseModel):
    name: str
    label: str
    type: str
    share_type: str
    share_condition: str = ""


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    title: str
    department_id: int | None
    unit_id: int
    level: str
    provider_name: str
    classification: str
    summary: str
    format_class: str
    format: str
    update_cycle: str
    share_type: str
    share_condition: str
    open_type: str
    open_condition: str
    published_on: date | None
    related_codes: list[str]
    items: list[ItemOut]
    aggregated: bool
    state: str
    version: int
    is_demo: bool
    record_count: int | None = None
    distribution_url: str | None = None
    updated_at: datetime


class EntryPage(Page[EntryOut]):
    pass


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    note: str
    actor_name: str
    at: datetime
    snapshot: dict[str, Any]


class CorrectionIn(BaseModel):
    field: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=2, max_length=2000)


class CorrectionResolve(BaseModel):
    accept: bool
    reply: str = Field(min_length=1, max_length=2000)


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    entry_id: int
    field: str
    text: str
    state: str
    reply: str
    created_at: datetime
    resolved_at: datetime | None


class RequestIn(BaseModel):
    entry_id: int | None = None
    need: str = Field("", max_length=2000)
    provider_department_id: int | None = None  # for a described need: the presumed 数源部门
    purpose: str = Field(min_length=4, max_length=2000)
    fields: list[str] = Field(default_factory=list, max_length=200)
    use_from: date
    use_until: date

    @model_validator(mode="after")
    def _check(self) -> RequestIn:
        if self.entry_id is None and (not self.need.strip() or self.provider_department_id is None):
            raise ValueError("请选择目录资源，或描述需求并选择提供部门 / pick an entry, or describe the need")
        if self.use_until < self.use_from:
            raise ValueError("使用期限的结束日期早于开始日期 / use_until is before use_from")
        return self


class AnswerIn(BaseModel):
    decision: str = Field(pattern="^(approve|approve_with_conditions|refuse)$")
    fields: list[str] | None = None  # granted fields: a subset of the requested ones (default: all requested)
    conditions: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000)
    valid_until: date | None = None
    entry_id: int | None = None  # answering a described need with one of the provider's entries


class RevokeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=1000)


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    entry_id: int
    fields: list[str]
    conditions: str
    valid_from: date
    valid_until: date
    revoked_at: datetime | None
    reads: int


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ref: str
    entry_id: int | None
    need: str
    purpose: str
    fields: list[str]
    use_from: date
    use_until: date
    requester_name: str
    requester_unit_id: int
    provider_department_id: int | None
    state: str
    conditions: str
    reason: str
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    overdue: bool
    escalated_to_unit_id: int | None
    grant: GrantOut | None = None


class RequestPage(Page[RequestOut]):
    pass


class ComponentIn(BaseModel):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*$")
    name: str = Field(min_length=2, max_length=120)
    kind: str
    description: str = Field("", max_length=2000)
    version: str = Field(min_length=1, max_length=24)
    endpoint: str = Field(min_length=1, max_length=300)
    used_by: list[str] = Field(default_factory=list, max_length=50)
    department_id: int | None = None


class ReviewIn(BaseModel):
    decision: str = Field(pattern="^(list|reject|delist)$")
    note: str = Field("", max_length=1000)


class ComponentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    kind: str
    description: str
    provider_name: str
    version: str
    endpoint: str
    status: str
    used_by: list[str]
    review_note: str
    is_demo: bool


class ComponentPage(Page[ComponentOut]):
    pass


class ImportRowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    created: int
    errors: list[ImportRowError]


# -- CKAN Action API envelopes (plain models: CKAN's answers pass through untouched) ---------------------
class CkanAnswer(BaseModel):
    help: str
    success: bool


class CkanNames(CkanAnswer):
    result: list[str] = Field(description="dataset names (slugs)")


class CkanPackage(CkanAnswer):
    result: dict[str, Any] = Field(description="a CKAN package: name, title, notes, organization, resources …")


class CkanSearchResult(BaseModel):
    count: int
    sort: str
    results: list[dict[str, Any]] = Field(description="CKAN packages")
    facets: dict[str, Any]
    search_facets: dict[str, Any]


class CkanSearch(CkanAnswer):
    result: CkanSearchResult


class CkanOrganizations(CkanAnswer):
    result: list[str] | list[dict[str, Any]] = Field(description="names, or whole organizations with all_fields")


class GrantedData(BaseModel):
    """Rows of a granted entry: only the granted fields (values as the source holds them)."""

    entry: str = Field(description="the entry's 信息资源代码")
    fields: list[str]
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class SatisfactionOut(BaseModel):
    unit_id: int
    since: date
    until: date
    fulfilled: int
    settled: int
    rate: float | None = Field(description="fulfilled / settled, a fraction; null with nothing settled")
