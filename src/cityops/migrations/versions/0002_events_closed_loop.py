"""events closed loop

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityops.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("default_severity", sa.String(length=12), nullable=False),
        sa.Column("keywords", cityops.core.db.JSONText(), nullable=False),
        sa.Column("required_fields", cityops.core.db.JSONText(), nullable=False),
        sa.Column("deadlines", cityops.core.db.JSONText(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["category.id"], name=op.f("fk_category_parent_id_category")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_category_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "department_stat",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("closed_on_time", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "day", name=op.f("pk_department_stat")),
    )
    op.create_table(
        "event_gauge",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_event_gauge")),
    )
    op.create_table(
        "event_stat",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("closed_on_time", sa.Integer(), nullable=False),
        sa.Column("handling_seconds", sa.Float(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("went_overdue", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "day", "category_id", name=op.f("pk_event_stat")),
    )
    op.create_table(
        "work_calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_calendar_day")),
    )
    op.create_table(
        "duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("assignee", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name=op.f("fk_duty_category_id_category")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_duty_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty")),
        sa.UniqueConstraint("category_id", "unit_id", name="uq_duty_category_unit"),
    )
    with op.batch_alter_table("duty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_category_id"), ["category_id"], unique=False)

    op.create_table(
        "event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ref", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("locate_reason", sa.String(length=300), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "owner_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("dispatcher_unit_id", sa.Integer(), nullable=True),
        sa.Column("route_reason", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_before_suspend", sa.String(length=16), nullable=True),
        sa.Column("suspended_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("stage_started_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warn_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("ever_overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("supervised_by_unit_id", sa.Integer(), nullable=True),
        sa.Column("extension_requested", sa.String(length=20), nullable=True),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=40), nullable=False),
        sa.Column("reporter_phone", sa.String(length=20), nullable=False),
        sa.Column("attributes", cityops.core.db.JSONText(), nullable=False),
        sa.Column("attachments", cityops.core.db.JSONText(), nullable=False),
        sa.Column("received_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("rated_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name=op.f("fk_event_category_id_category")),
        sa.ForeignKeyConstraint(
            ["dispatcher_unit_id"], ["org_unit.id"], name=op.f("fk_event_dispatcher_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["merged_into_id"], ["event.id"], name=op.f("fk_event_merged_into_id_event")),
        sa.ForeignKeyConstraint(
            ["owner_department_id"], ["department.id"], name=op.f("fk_event_owner_department_id_department")
        ),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["org_unit.id"], name=op.f("fk_event_owner_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["reporter_user_id"], ["app_user.id"], name=op.f("fk_event_reporter_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["supervised_by_unit_id"], ["org_unit.id"], name=op.f("fk_event_supervised_by_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_event_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_event_idempotency_key")),
        sa.UniqueConstraint("ref", name=op.f("uq_event_ref")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_index("ix_event_open_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_owner_department_id"), ["owner_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_owner_path"), ["owner_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_event_unit_path_received", ["unit_path", "received_at"], unique=False)

    op.create_table(
        "event_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("actor_unit", sa.String(length=120), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", cityops.core.db.JSONText(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_event_log_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
    )
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_log_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_log_event_id"))

    op.drop_table("event_log")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_unit_path_received")
        batch_op.drop_index(batch_op.f("ix_event_received_at"))
        batch_op.drop_index(batch_op.f("ix_event_owner_path"))
        batch_op.drop_index(batch_op.f("ix_event_owner_department_id"))
        batch_op.drop_index("ix_event_open_due")
        batch_op.drop_index(batch_op.f("ix_event_merged_into_id"))

    op.drop_table("event")
    with op.batch_alter_table("duty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_category_id"))

    op.drop_table("duty")
    op.drop_table("work_calendar_day")
    op.drop_table("event_stat")
    op.drop_table("event_gauge")
    op.drop_table("department_stat")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_parent_id"))
        batch_op.drop_index(batch_op.f("ix_category_family"))

    op.drop_table("category")
