"""sensing

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityops.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_type",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("expected_interval_s", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=4), nullable=True),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("rules", cityops.core.db.JSONText(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_device_type")),
    )
    op.create_table(
        "ingest_counter",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "reason", name=op.f("pk_ingest_counter")),
    )
    op.create_table(
        "reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ts", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading")),
    )
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.create_index("ix_reading_device_ts", ["device_id", "ts"], unique=False)

    op.create_table(
        "reading_rollup",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=1), nullable=False),
        sa.Column("bucket", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=False),
        sa.Column("max_value", sa.Float(), nullable=False),
        sa.Column("last_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "period", "bucket", name=op.f("pk_reading_rollup")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("sector", sa.String(length=4), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rules", cityops.core.db.JSONText(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_device_department_id_department")),
        sa.ForeignKeyConstraint(["type_code"], ["device_type.code"], name=op.f("fk_device_type_code_device_type")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_device_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("code", name=op.f("uq_device_code")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_type_code"), ["type_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_unit_path"), ["unit_path"], unique=False)

    op.create_table(
        "alarm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ack_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clear_ts", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.String(length=80), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("details", cityops.core.db.JSONText(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("sector", sa.String(length=4), nullable=True),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_alarm_device_id_device")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_alarm_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
    )
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_device_type_cleared", ["device_id", "type", "cleared"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_unit_path"), ["unit_path"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_unit_path"))
        batch_op.drop_index(batch_op.f("ix_alarm_status"))
        batch_op.drop_index("ix_alarm_device_type_cleared")

    op.drop_table("alarm")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_unit_path"))
        batch_op.drop_index(batch_op.f("ix_device_type_code"))

    op.drop_table("device")
    op.drop_table("reading_rollup")
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_device_ts")

    op.drop_table("reading")
    op.drop_table("ingest_counter")
    op.drop_table("device_type")
