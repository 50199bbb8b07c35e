"""event: (status, warn_at) index for the deadline sweep's warning pass

Without it the warning pass read every open event (warn_at is in no index) on each sweep.

Revision ID: 0020
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_open_warn", ["status", "warn_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_open_warn")
