"""indicators

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityops.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board")),
        sa.UniqueConstraint("code", name=op.f("uq_board_code")),
    )
    op.create_table(
        "runway",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], name=op.f("fk_runway_board_id_board")),
        sa.ForeignKeyConstraint(["parent_id"], ["runway.id"], name=op.f("fk_runway_parent_id_runway")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runway")),
        sa.UniqueConstraint("code", name=op.f("uq_runway_code")),
    )
    with op.batch_alter_table("runway", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runway_board_id"), ["board_id"], unique=False)

    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("runway_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("green_score", sa.Float(), nullable=False),
        sa.Column("amber_score", sa.Float(), nullable=False),
        sa.Column("source", cityops.core.db.JSONText(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("drill_level", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["org_unit.id"], name=op.f("fk_indicator_owner_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["runway_id"], ["runway.id"], name=op.f("fk_indicator_runway_id_runway")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_runway_id"), ["runway_id"], unique=False)

    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("comparator", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("computed_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("provenance", cityops.core.db.JSONText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_indicator_value_indicator_id_indicator")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_indicator_value_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value")),
        sa.UniqueConstraint("indicator_id", "unit_id", "period_key", name="uq_indicator_value_key"),
    )
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_value_indicator_id"), ["indicator_id"], unique=False)

    op.create_table(
        "risk_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit_path",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("period_key", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", cityops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"], name=op.f("fk_risk_prompt_indicator_id_indicator")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_risk_prompt_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_prompt")),
        sa.UniqueConstraint("indicator_id", "unit_id", "period_key", name="uq_risk_prompt_key"),
    )
    with op.batch_alter_table("risk_prompt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_prompt_unit_path"), ["unit_path"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_prompt_unit_path"))

    op.drop_table("risk_prompt")
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_value_indicator_id"))

    op.drop_table("indicator_value")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_runway_id"))

    op.drop_table("indicator")
    with op.batch_alter_table("runway", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runway_board_id"))

    op.drop_table("runway")
    op.drop_table("board")
