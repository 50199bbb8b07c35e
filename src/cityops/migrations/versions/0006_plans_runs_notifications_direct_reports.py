"""plans, runs, notifications, direct reports

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityops.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("roles", cityops.core.db.JSONText(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_notification_department_id_department")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_notification_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_unit_created", ["unit_id", "created_at"], unique=False)

    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("spec", cityops.core.db.JSONText(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_plan_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("key", "unit_id", name="uq_plan_key_unit"),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_unit_path"), ["unit_path"], unique=False)

    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", cityops.core.db.JSONText(), nullable=False),
        sa.Column("created_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_version_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_version"),
    )
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_version_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "direct_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_direct_report_event_id_event")),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"], ["app_user.id"], name=op.f("fk_direct_report_reporter_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_direct_report_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direct_report")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_direct_report_idempotency_key")),
        sa.UniqueConstraint("ref", name=op.f("uq_direct_report_ref")),
    )
    with op.batch_alter_table("direct_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_direct_report_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_direct_report_unit_path"), ["unit_path"], unique=False)

    op.create_table(
        "plan_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_key", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("levels", cityops.core.db.JSONText(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_note", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_plan_run_event_id_event")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_run_plan_id_plan")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_plan_run_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_run")),
        sa.UniqueConstraint("plan_key", "event_id", name="uq_plan_run_key_event"),
    )
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_run_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_run_unit_path"), ["unit_path"], unique=False)

    op.create_table(
        "plan_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("roles", cityops.core.db.JSONText(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("checklist", cityops.core.db.JSONText(), nullable=False),
        sa.Column("resources", cityops.core.db.JSONText(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_plan_step_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["plan_run.id"], name=op.f("fk_plan_step_run_id_plan_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_plan_step_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_step")),
    )
    with op.batch_alter_table("plan_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_step_department_id"), ["department_id"], unique=False)
        batch_op.create_index("ix_plan_step_open_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_step_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_step_unit_path"), ["unit_path"], unique=False)

    op.create_table(
        "report_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["direct_report.id"], name=op.f("fk_report_log_report_id_direct_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_log")),
    )
    with op.batch_alter_table("report_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_log_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("first_notified_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_notified_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notify_count", sa.Integer(), nullable=False),
        sa.Column("acked_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("upper_told_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["direct_report.id"],
            name=op.f("fk_report_notice_report_id_direct_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_report_notice_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_notice")),
        sa.UniqueConstraint("report_id", "level", name="uq_report_notice_level"),
    )
    with op.batch_alter_table("report_notice", schema=None) as batch_op:
        batch_op.create_index("ix_report_notice_pending", ["acked_at", "last_notified_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_notice_report_id"), ["report_id"], unique=False)

    with op.batch_alter_table("centre", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duty_phone", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("centre", schema=None) as batch_op:
        batch_op.drop_column("duty_phone")

    with op.batch_alter_table("report_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_notice_report_id"))
        batch_op.drop_index("ix_report_notice_pending")

    op.drop_table("report_notice")
    with op.batch_alter_table("report_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_log_report_id"))

    op.drop_table("report_log")
    with op.batch_alter_table("plan_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_step_unit_path"))
        batch_op.drop_index(batch_op.f("ix_plan_step_run_id"))
        batch_op.drop_index("ix_plan_step_open_due")
        batch_op.drop_index(batch_op.f("ix_plan_step_department_id"))

    op.drop_table("plan_step")
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_run_unit_path"))
        batch_op.drop_index(batch_op.f("ix_plan_run_event_id"))

    op.drop_table("plan_run")
    with op.batch_alter_table("direct_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_direct_report_unit_path"))
        batch_op.drop_index(batch_op.f("ix_direct_report_created_at"))

    op.drop_table("direct_report")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_version_plan_id"))

    op.drop_table("plan_version")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_unit_path"))
        batch_op.drop_index(batch_op.f("ix_plan_key"))

    op.drop_table("plan")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_unit_created")

    op.drop_table("notification")
