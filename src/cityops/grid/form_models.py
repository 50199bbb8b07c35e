"""一表通 (one form): base records kept once per community, fields with their owners, facts filled once,
and report templates that select fields — every report reads the same facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString

RECORD_KINDS = {"person": "人员", "house": "房屋", "place": "单位场所"}
VALUE_TYPES = {"text": "文本", "number": "数字", "date": "日期"}


class FormField(Base):
    """A fact that can be asked about a base record, with the department or unit that owns it."""

    __tablename__ = "form_field"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    record_kind: Mapped[str] = mapped_column(String(12))
    value_type: Mapped[str] = mapped_column(String(12), default="text")
    owner: Mapped[str] = mapped_column(String(80))  # 字段责任方, e.g. 民政, 应急管理, 社区
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class BaseRecord(Base):
    """A person, a house or a unit/place of a community, kept once."""

    __tablename__ = "base_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(120))  # e.g. 邹容路12号3单元; a person's masked name
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class RecordFact(Base):
    """One field's value for one record: filled once, read by every report that selects the field."""

    __tablename__ = "record_fact"
    __table_args__ = (UniqueConstraint("record_id", "field_id", name="uq_record_fact_record_field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("base_record.id"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("form_field.id"))
    value: Mapped[str] = mapped_column(Text)
    filled_by: Mapped[str] = mapped_column(String(64))
    filled_at: Mapped[datetime]


class ReportTemplate(Base):
    """A report an upper level needs, as a selection of fields (its own new fields join the shared set)."""

    __tablename__ = "report_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    record_kind: Mapped[str] = mapped_column(String(12))
    field_ids: Mapped[Any] = mapped_column(JSONText, default=list)
    requested_by: Mapped[str] = mapped_column(String(80))  # the department or centre that asked for it
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # whose units fill it (district/city)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    reused_fields: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
