"""基层智治 (141): grid records, grid workers, patrol plans, patrol sessions and check-ins, grid reports.

A grid stays an org unit (level `grid`, so every domain scopes it by path); the `grid` table holds the
grid's own record in versions: kind, optional polygon, who changed it. The current version has
valid_to = None.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class GridKind(StrEnum):
    comprehensive = "comprehensive"  # 综合网格
    dedicated = "dedicated"  # 专属网格 (a school, a market, an industrial park …)


KIND_NAMES = {"comprehensive": "综合网格", "dedicated": "专属网格"}


class Employment(StrEnum):
    full_time = "full_time"  # 专职
    part_time = "part_time"  # 兼职


EMPLOYMENT_NAMES = {"full_time": "专职", "part_time": "兼职"}


class Position(StrEnum):
    inside = "inside"  # 网格内
    outside = "outside"  # 网格外 (flagged)
    unverified = "unverified"  # cannot be told from the position (flagged)


POSITION_NAMES = {"inside": "网格内", "outside": "网格外", "unverified": "无法核实"}


class Grid(Base):
    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("unit_id", "version", name="uq_grid_unit_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    code: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    dedicated_type: Mapped[str] = mapped_column(String(40), default="")  # e.g. 学校, 农贸市场, 工业园区
    geojson: Mapped[str | None] = mapped_column(Text)  # a Polygon/MultiPolygon geometry, imported only
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(80), default="")
    changed_by: Mapped[str] = mapped_column(String(64), default="")


class GridAssignment(Base):
    """A grid worker covering a grid (专职/兼职), with the shift and the contact the street calls."""

    __tablename__ = "grid_assignment"
    __table_args__ = (UniqueConstraint("grid_unit_id", "user_id", name="uq_grid_assignment_grid_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    employment: Mapped[str] = mapped_column(String(12))
    shift: Mapped[str] = mapped_column(String(60), default="")  # e.g. "周一至周五 08:30-17:30"
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PatrolPlan(Base):
    """马路巡查 plan of a grid: checkpoints, how many patrols a day, and the window they fall in (CST)."""

    __tablename__ = "patrol_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    name: Mapped[str] = mapped_column(String(80))
    checkpoints: Mapped[Any] = mapped_column(JSONText, default=list)  # [{"name", "lon", "lat"}]
    per_day: Mapped[int] = mapped_column(Integer, default=1)
    window_start: Mapped[str] = mapped_column(String(5), default="08:00")
    window_end: Mapped[str] = mapped_column(String(5), default="18:00")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class PatrolSession(Base):
    __tablename__ = "patrol_session"
    __table_args__ = (Index("ix_patrol_session_path_started", "unit_path", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plan.id"), index=True)
    grid_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # a check-in outside / unverified


class PatrolCheckIn(Base):
    __tablename__ = "patrol_checkin"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("patrol_session.id"), index=True)
    at: Mapped[datetime]
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    checkpoint: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(300))
    on_time: Mapped[bool] = mapped_column(Boolean)  # inside the plan's daily window


class GridReport(Base):
    """A problem a grid worker reported (during a patrol or not): its event, and whether it was fixed
    on the spot (就地解决: found and closed in one step, counted separately)."""

    __tablename__ = "grid_report"
    __table_args__ = (Index("ix_grid_report_path_at", "unit_path", "reported_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    grid_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_session.id"), index=True)
    on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime]


class DutyLevel(StrEnum):
    street = "street"  # 镇街
    community = "community"  # 村社
    grid = "grid"  # 网格


class DutyList(StrEnum):
    basic = "basic"  # 基本履职事项
    cooperative = "cooperative"  # 配合履职事项 (a lead department is responsible; the level below helps)
    withdrawn = "withdrawn"  # 上级部门收回事项 (taken back by the department above)


DUTY_LEVEL_NAMES = {"street": "镇街", "community": "村社", "grid": "网格"}
DUTY_LIST_NAMES = {"basic": "基本履职", "cooperative": "配合履职", "withdrawn": "上级部门收回"}


class DutyItem(Base):
    """One item of a district's 三级职责任务清单 (镇街履行职责事项清单 and the 村社/网格 lists below it)."""

    __tablename__ = "duty_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # whose list (a district)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    level: Mapped[str] = mapped_column(String(12))
    list_kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    lead_department_code: Mapped[str | None] = mapped_column(String(32))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    category_codes: Mapped[Any] = mapped_column(JSONText, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16))  # import | admission
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class DutyAdmission(Base):
    """职责准入: a department asks to push a new duty down to the street/community/grid; the district decides."""

    __tablename__ = "duty_admission"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the deciding district
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    level: Mapped[str] = mapped_column(String(12))
    list_kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    category_codes: Mapped[Any] = mapped_column(JSONText, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | approved | rejected
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("duty_item.id"))
