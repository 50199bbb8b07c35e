"""Risk register tables: categories (a tree with a checklist each), points with their linked devices,
every (re)assessment, inspections with checklist results and photos, hazards with their transition log,
and 风险提示 raised at a point."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class RiskCategory(Base):
    """A kind of risk source (地质灾害 › 危岩; 燃气 …); leaves carry the inspection checklist."""

    __tablename__ = "risk_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("risk_category.id"))
    checklist: Mapped[Any] = mapped_column(JSONText, default=list)  # ["检查项", …]
    cycle_days: Mapped[int] = mapped_column(Integer, default=30)  # default inspection cycle
    sort: Mapped[int] = mapped_column(Integer, default=0)


class RiskPoint(Base):
    __tablename__ = "risk_point"
    __table_args__ = (Index("ix_risk_point_level", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    category_id: Mapped[int] = mapped_column(ForeignKey("risk_category.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    responsible_person: Mapped[str] = mapped_column(String(40), default="")
    responsible_phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    polygon: Mapped[Any] = mapped_column(JSONText, nullable=True)  # GeoJSON Polygon geometry, when an area
    control_measures: Mapped[str] = mapped_column(Text, default="")
    plan_keys: Mapped[Any] = mapped_column(JSONText, default=list)  # linked contingency plans (预案) by key
    likelihood: Mapped[int] = mapped_column(Integer)  # 1..5
    consequence: Mapped[int] = mapped_column(Integer)  # 1..5
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(12))  # major | significant | general | low
    cycle_days: Mapped[int] = mapped_column(Integer, default=30)
    review_days: Mapped[int] = mapped_column(Integer, default=365)  # scheduled reassessment
    next_review_at: Mapped[datetime]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | retired
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RiskPointDevice(Base):
    __tablename__ = "risk_point_device"
    __table_args__ = (UniqueConstraint("point_id", "device_id", name="uq_risk_point_device"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_point.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)


class RiskAssessment(Base):
    """Every level a point ever had, with what moved it (initial, scheduled, alarm, event, manual)."""

    __tablename__ = "risk_assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_point.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(12))
    likelihood: Mapped[int] = mapped_column(Integer)
    consequence: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(12))
    previous_level: Mapped[str | None] = mapped_column(String(12))
    reasons: Mapped[str] = mapped_column(Text)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarm.id"))
    event_id: Mapped[int | None] = mapped_column(Integer)


class Inspection(Base):
    """A routine inspection due by the point's cycle, or the re-inspection of a hazard's rectification."""

    __tablename__ = "risk_inspection"
    __table_args__ = (Index("ix_risk_inspection_open_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_point.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="routine")  # routine | reinspection
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("risk_hazard.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled | done
    due_at: Mapped[datetime]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None]
    escalated_to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(64))
    checklist: Mapped[Any] = mapped_column(JSONText, default=list)  # [{"item", "ok", "note"}]
    result: Mapped[str | None] = mapped_column(String(8))  # pass | fail
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime]


class InspectionPhoto(Base):
    __tablename__ = "risk_inspection_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("risk_inspection.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Hazard(Base):
    """隐患: 一般 (general) or 重大 (major); a major one carries a rectification plan and is 挂牌督办."""

    __tablename__ = "risk_hazard"
    __table_args__ = (Index("ix_risk_hazard_status", "status", "grade"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("risk_point.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[str] = mapped_column(String(8))  # general | major
    source: Mapped[str] = mapped_column(String(12))  # inspection | grid_worker | alarm | staff
    inspection_id: Mapped[int | None] = mapped_column(Integer)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarm.id"))
    status: Mapped[str] = mapped_column(String(12), default="registered")
    deadline: Mapped[datetime | None]
    plan: Mapped[Any] = mapped_column(JSONText, nullable=True)  # the rectification plan of a major hazard
    supervised_at: Mapped[datetime | None]  # 挂牌督办
    supervised_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    found_at: Mapped[datetime]
    found_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)


class HazardLog(Base):
    __tablename__ = "risk_hazard_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("risk_hazard.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    actor_name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(1000), default="")


class PointPrompt(Base):
    """风险提示 at a risk point: raised once per alarm (a critical alarm on a linked device)."""

    __tablename__ = "risk_point_prompt"
    __table_args__ = (UniqueConstraint("point_id", "alarm_id", name="uq_risk_point_prompt_alarm"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_point.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarm.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime]
