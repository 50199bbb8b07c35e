"""readings on SQLite: rollups folded from the raw rows by a watermark, the raw key led by time

A stream arrives in time order, so an index led by the device makes every batch touch a leaf page per
device (thousands of pages written at each commit); led by time, a batch appends. Rollups, keyed by
device, are folded from the raw rows above a watermark (`reading_fold`) every few seconds or tens of
thousands of readings instead of at every batch. PostgreSQL keeps its per-day partitions indexed by
(device_id, ts) and folds each batch in the insert's own statement; the table is there but unused.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cityops.core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_fold",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("folded_at", cityops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reading_fold")),
    )
    # Every reading stored so far is in the rollups already (they were folded at each batch).
    op.execute("INSERT INTO reading_fold (name, last_id) SELECT 'rollups', coalesce(max(id), 0) FROM reading")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("uq_reading_device_ts", table_name="reading")
        op.create_index("uq_reading_ts_device", "reading", ["ts", "device_id"], unique=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("uq_reading_ts_device", table_name="reading")
        op.create_index("uq_reading_device_ts", "reading", ["device_id", "ts"], unique=True)
    op.drop_table("reading_fold")
