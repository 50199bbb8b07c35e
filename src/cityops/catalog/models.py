"""政务信息资源目录 (catalogue entries with the national core metadata), their versions and corrections,
数据供需 (data requests and the grants that answer them), and the 能力组件 (capability component) registry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class ShareType(StrEnum):
    unconditional = "unconditional"  # 无条件共享
    conditional = "conditional"  # 有条件共享
    none = "none"  # 不予共享


class OpenType(StrEnum):
    open = "open"  # 无条件开放
    conditional = "conditional"  # 有条件开放
    closed = "closed"  # 不予开放


class EntryState(StrEnum):
    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class RequestState(StrEnum):
    submitted = "submitted"
    approved = "approved"
    approved_with_conditions = "approved_with_conditions"
    refused = "refused"
    withdrawn = "withdrawn"


FULFILLED = (RequestState.approved, RequestState.approved_with_conditions)
ANSWERED = (*FULFILLED, RequestState.refused)


class ComponentStatus(StrEnum):
    pending = "pending"  # 待审核
    listed = "listed"  # 上架
    delisted = "delisted"  # 下架
    rejected = "rejected"  # 审核未通过


class CatalogEntry(Base):
    """One 信息资源 of a provider (a department, or a governance centre when `department_id` is None)."""

    __tablename__ = "catalog_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # 信息资源代码 (分类码 + 顺序码), immutable
    title: Mapped[str] = mapped_column(String(200))  # 信息资源名称
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # the provider's city or district
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    level: Mapped[str] = mapped_column(String(12))  # city | district
    provider_name: Mapped[str] = mapped_column(String(120))  # 信息资源提供方
    classification: Mapped[str] = mapped_column(String(120))  # 信息资源分类, e.g. "主题/城乡建设"
    summary: Mapped[str] = mapped_column(Text)  # 信息资源摘要
    format_class: Mapped[str] = mapped_column(String(16))  # 电子表格 / 数据库 / …
    format: Mapped[str] = mapped_column(String(40))  # concrete type: xlsx, API(JSON) …
    update_cycle: Mapped[str] = mapped_column(String(12))  # 更新周期
    share_type: Mapped[str] = mapped_column(String(16))
    share_condition: Mapped[str] = mapped_column(Text, default="")  # required for conditional and none
    open_type: Mapped[str] = mapped_column(String(16))
    open_condition: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date | None]  # 发布日期
    related_codes: Mapped[Any] = mapped_column(JSONText, default=list)  # 关联资源代码
    # 信息项: [{"name", "label", "type", "share_type", "share_condition"}]
    items: Mapped[Any] = mapped_column(JSONText, default=list)
    # Where the platform holds the data (cityops' own datasets): {"kind": "events", "families": [...]} …
    source: Mapped[Any] = mapped_column(JSONText, nullable=True)
    aggregated: Mapped[bool] = mapped_column(Boolean, default=False)  # 已归集: the data is on the platform
    state: Mapped[str] = mapped_column(String(12), default=EntryState.draft, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    search_text: Mapped[str] = mapped_column(Text, default="")  # name + summary + items, lower-cased
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CatalogEntryVersion(Base):
    """The metadata as it was at each version (written at every change of a catalogued entry)."""

    __tablename__ = "catalog_entry_version"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_catalog_entry_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[Any] = mapped_column(JSONText)
    note: Mapped[str] = mapped_column(String(200), default="")
    actor_name: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]


class CatalogCorrection(Base):
    """纠错: a user reports a defect in an entry; the provider's data_admin accepts or rejects it."""

    __tablename__ = "catalog_correction"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reporter_unit_path: Mapped[str] = mapped_column(PathString, index=True)
    field: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | accepted | rejected
    reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class DataRequest(Base):
    """数据需求 / 申请: against an entry, or a described need addressed to a presumed provider."""

    __tablename__ = "data_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    need: Mapped[str] = mapped_column(Text, default="")  # a described need when no entry fits
    purpose: Mapped[str] = mapped_column(Text)  # 用途 and 应用场景
    fields: Mapped[Any] = mapped_column(JSONText, default=list)  # item names wanted (minimum necessary)
    use_from: Mapped[date]
    use_until: Mapped[date]
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    requester_name: Mapped[str] = mapped_column(String(80))
    requester_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    requester_unit_path: Mapped[str] = mapped_column(PathString, index=True)
    requester_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    provider_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    provider_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    provider_unit_path: Mapped[str] = mapped_column(PathString, index=True)
    state: Mapped[str] = mapped_column(String(28), default=RequestState.submitted, index=True)
    conditions: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str] = mapped_column(String(80), default="")
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class DataGrant(Base):
    """The authorisation a fulfilled request produces: which fields, for whom, until when; revocable."""

    __tablename__ = "data_grant"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_request.id"), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    grantee_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    grantee_unit_path: Mapped[str] = mapped_column(PathString, index=True)
    grantee_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    fields: Mapped[Any] = mapped_column(JSONText)
    conditions: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str] = mapped_column(String(80), default="")
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    reads: Mapped[int] = mapped_column(Integer, default=0)
    last_read_at: Mapped[datetime | None]


class CapabilityComponent(Base):
    """能力组件: a reusable service (data service, algorithm, AI+ model, map service, notification …)."""

    __tablename__ = "capability_component"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    provider_name: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(24))
    endpoint: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default=ComponentStatus.pending, index=True)
    used_by: Mapped[Any] = mapped_column(JSONText, default=list)  # names of the applications using it
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(80), default="")
    reviewed_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
