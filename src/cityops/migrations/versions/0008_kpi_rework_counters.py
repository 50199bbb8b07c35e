"""event_stat: verification and rework counters (返工率)

Revision ID: 0008
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_stat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("reworked", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("event_stat", schema=None) as batch_op:
        batch_op.drop_column("reworked")
        batch_op.drop_column("checked")
