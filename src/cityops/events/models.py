"""Events (事件/诉求), the catalogue, duty lists, the timeline, and the metric counters."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class Severity(StrEnum):
    urgent = "urgent"  # 紧急
    high = "high"  # 较急
    normal = "normal"  # 一般


class Source(StrEnum):
    citizen = "citizen"  # 民呼我为
    grid_worker = "grid_worker"
    department = "department"
    sensor = "sensor"
    patrol = "patrol"  # 马路巡查
    emergency = "emergency"  # 突发事件直报
    import_ = "import"
    open311 = "open311"


class Status(StrEnum):
    reported = "reported"  # 待受理
    accepted = "accepted"  # 已受理，待派遣
    dispatched = "dispatched"  # 已派遣，待签收
    signed = "signed"  # 已签收
    in_progress = "in_progress"  # 处置中
    reported_back = "reported_back"  # 已反馈，待核查
    verified = "verified"  # 核查通过，待办结
    suspended = "suspended"  # 挂起
    closed = "closed"  # 已办结
    merged = "merged"  # 已并案
    voided = "voided"  # 已作废


# Names people read (Chinese, English): pages, exports and messages use these, never the codes.
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "reported": ("待受理", "Reported"),
    "accepted": ("待派遣", "Accepted"),
    "dispatched": ("待签收", "Dispatched"),
    "signed": ("已签收", "Signed"),
    "in_progress": ("处置中", "In progress"),
    "reported_back": ("待核查", "Reported back"),
    "verified": ("待办结", "Verified"),
    "suspended": ("挂起", "Suspended"),
    "closed": ("已办结", "Closed"),
    "merged": ("已并案", "Merged"),
    "voided": ("已作废", "Voided"),
}
SEVERITY_NAMES: dict[str, tuple[str, str]] = {
    "urgent": ("紧急", "Urgent"),
    "high": ("较急", "High"),
    "normal": ("一般", "Normal"),
}
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "citizen": ("民呼我为", "Citizen report"),
    "grid_worker": ("网格员上报", "Grid worker"),
    "department": ("部门上报", "Department"),
    "sensor": ("感知告警", "Sensor alarm"),
    "patrol": ("巡查发现", "Patrol"),
    "emergency": ("突发事件直报", "Emergency report"),
    "import": ("批量导入", "Import"),
    "open311": ("Open311接口", "Open311"),
}
RATING_NAMES: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
}

TERMINAL = frozenset({Status.closed, Status.merged, Status.voided})
OPEN_STATUSES = tuple(s.value for s in Status if s not in TERMINAL)


class Category(Base):
    """事项目录: families (parent None) and the categories under them."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    family: Mapped[str] = mapped_column(String(40), index=True)  # 市容环境 …
    default_severity: Mapped[str] = mapped_column(String(12), default=Severity.normal)
    keywords: Mapped[Any] = mapped_column(JSONText, default=list)
    required_fields: Mapped[Any] = mapped_column(JSONText, default=list)  # [{"code","name","type"}]
    # {"urgent": {"accept": "30m", "sign": "30m", "handle": "2h", "verify": "2h"}, "normal": {... "3wd"}}
    deadlines: Mapped[Any] = mapped_column(JSONText, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Duty(Base):
    """三级职责清单: who is responsible for a category, at a level, optionally for one unit only."""

    __tablename__ = "duty"
    __table_args__ = (UniqueConstraint("category_id", "unit_id", name="uq_duty_category_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))  # None = default for everywhere
    level: Mapped[str] = mapped_column(String(12))  # street | district | city: who handles
    assignee: Mapped[str] = mapped_column(String(12))  # centre | department
    department_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(200), default="")


class Event(Base):
    # Few indexes on purpose: every one costs on bulk intake. Scoped lists use (unit_path, received_at) or
    # owner_path; the deadline sweep uses (status, due_at) to mark overdue and (status, warn_at) to warn.
    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_open_due", "status", "due_at"),
        Index("ix_event_open_warn", "status", "warn_at"),
        Index("ix_event_unit_path_received", "unit_path", "received_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    severity: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # Where it happened (deepest unit resolved) and its cached path, for jurisdiction scoping.
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString)
    locate_reason: Mapped[str] = mapped_column(String(300), default="")
    # Who owns it now: a centre's unit, and optionally one of the departments under it.
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    owner_path: Mapped[str] = mapped_column(PathString, index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    dispatcher_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))  # centre that dispatched
    route_reason: Mapped[str] = mapped_column(String(400), default="")
    status: Mapped[str] = mapped_column(String(16))
    status_before_suspend: Mapped[str | None] = mapped_column(String(16))
    suspended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Deadline of the current stage; stage_seq changes with every stage so a deadline fires once.
    stage: Mapped[str] = mapped_column(String(12))  # accept | sign | handle | verify | close | none
    stage_seq: Mapped[int] = mapped_column(Integer, default=1)
    stage_started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    supervised_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    extension_requested: Mapped[str | None] = mapped_column(String(20))  # requested extra time, e.g. "2wd"
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reporter_name: Mapped[str] = mapped_column(String(40), default="")
    reporter_phone: Mapped[str] = mapped_column(String(20), default="")
    # A citizen who left no phone tracks the report with a code from the receipt (stored hashed).
    tracking_code_hash: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[Any] = mapped_column(JSONText, default=dict)
    attachments: Mapped[Any] = mapped_column(JSONText, default=list)
    received_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    rating: Mapped[str | None] = mapped_column(String(24))
    rated_at: Mapped[datetime | None]
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)  # unsatisfied: centre decides a reopen
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)

    # Concurrent updates of one event: the second writer gets StaleDataError (409), never a lost update.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EventLog(Base):
    """The timeline: every action, with actor, unit, time and note."""

    __tablename__ = "event_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(80))
    actor_unit: Mapped[str] = mapped_column(String(120), default="")
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[Any] = mapped_column(JSONText, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # shown to the citizen (without staff names)


class WorkCalendarDay(Base):
    """Exceptions to Monday–Friday: holidays (休) and make-up working days (班)."""

    __tablename__ = "work_calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(40), default="")


class EventStat(Base):
    """Daily flow counters per (unit, category), kept for each ancestor centre unit of an event's location
    so a subtree's figures are a sum over few rows, never a scan of events."""

    __tablename__ = "event_stat"
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which shard of the key this row is (see events.metrics): readers always sum over shards.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    received: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    handling_seconds: Mapped[float] = mapped_column(Float, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    went_overdue: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # verifications (核查)
    reworked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed: back to handling


class EventGauge(Base):
    """Current open and overdue counts per ancestor unit (incremented and decremented with each change)."""

    __tablename__ = "event_gauge"
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which shard of the key this row is (see events.metrics): readers always sum over shards.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    open: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)


class DepartmentStat(Base):
    __tablename__ = "department_stat"
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Which shard of the key this row is (see events.metrics): readers always sum over shards.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
