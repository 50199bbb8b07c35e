"""Plans configured per level, their version history, runs and steps, in-app notifications, and
emergency direct reports with one notice per centre level."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString

EventId = BigInteger().with_variant(Integer, "sqlite")


class Plan(Base):
    """One configuration of a plan at one unit: the city template (unit = the city) or an override by a
    district or street. `spec` holds what this level says; the effective plan merges the levels."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("key", "unit_id", name="uq_plan_key_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    level: Mapped[str] = mapped_column(String(12))
    spec: Mapped[Any] = mapped_column(JSONText)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class PlanVersion(Base):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[Any] = mapped_column(JSONText)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class PlanRun(Base):
    """A plan activated for an event (or for a unit, by hand or as a drill). At most one run per plan and
    event: the unique key makes a second activation (a repeated alarm, a retried message) a no-op."""

    __tablename__ = "plan_run"
    __table_args__ = (UniqueConstraint("plan_key", "event_id", name="uq_plan_run_key_event"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))  # the most specific level used
    plan_version: Mapped[int] = mapped_column(Integer)
    levels: Mapped[Any] = mapped_column(JSONText)  # [{"plan_id", "level", "unit", "version"}] city first
    name: Mapped[str] = mapped_column(String(120))
    event_id: Mapped[int | None] = mapped_column(EventId, ForeignKey("event.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # auto | manual | direct_report
    reason: Mapped[str] = mapped_column(String(300), default="")
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_note: Mapped[str] = mapped_column(String(400), default="")


class PlanStep(Base):
    """A step of a run: a notification (done when sent) or a task for a unit's centre or a department,
    with a deadline that marks it overdue and escalates it once to the centre above."""

    __tablename__ = "plan_step"
    __table_args__ = (Index("ix_plan_step_open_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("plan_run.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12))  # notify | task
    title: Mapped[str] = mapped_column(String(200))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=True)
    level: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    roles: Mapped[Any] = mapped_column(JSONText, default=list)
    instructions: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[Any] = mapped_column(JSONText, default=list)  # [{"item": "...", "done": false}]
    resources: Mapped[Any] = mapped_column(JSONText, default=list)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | done | skipped
    due_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(400), default="")


class Notification(Base):
    """An in-app notification to a centre (unit) for users holding one of `roles` there, or to one
    department's staff when `department_id` is set."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_unit_created", "unit_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    roles: Mapped[Any] = mapped_column(JSONText, default=list)  # empty: every staff user of the unit
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # set: that department only
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    subject_type: Mapped[str] = mapped_column(String(16))  # plan_run | plan_step | direct_report
    subject_id: Mapped[int] = mapped_column(Integer)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ReadMark(Base):
    """When one user read one notification: notifications go to a centre or department, reading is per user."""

    __tablename__ = "notification_read"
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime]


class DirectReport(Base):
    """突发事件直报: one report that puts the street, district and city centres on alert at once."""

    __tablename__ = "direct_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reporter: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(EventId, ForeignKey("event.id"))
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ReportNotice(Base):
    """The direct report as one centre level received it: when told (first and last), when acknowledged."""

    __tablename__ = "report_notice"
    __table_args__ = (
        UniqueConstraint("report_id", "level", name="uq_report_notice_level"),
        Index("ix_report_notice_pending", "acked_at", "last_notified_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("direct_report.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))  # street | district | city
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    first_notified_at: Mapped[datetime]
    last_notified_at: Mapped[datetime]
    notify_count: Mapped[int] = mapped_column(Integer, default=1)
    acked_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(64))
    upper_told_at: Mapped[datetime | None]


class ReportLog(Base):
    """Who knew what when: every notice, reminder, acknowledgement and upward alert of a direct report."""

    __tablename__ = "report_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("direct_report.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(16))  # notified | renotified | upper_told | acknowledged
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64), default="system")
    note: Mapped[str] = mapped_column(String(300), default="")
