"""event_stat: each key's category-less total (category id 0) beside its per-category rows

Figures over all categories (the cockpit's summary, the trend) sum one row per unit, day and shard instead
of one per category; `events.metrics.count` adds every delta to both. Existing counters are summed into the
totals here, one row per unit and day in shard 0.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FIELDS = (
    "received",
    "closed",
    "closed_on_time",
    "handling_seconds",
    "returned",
    "went_overdue",
    "rated",
    "satisfied",
    "checked",
    "reworked",
)


def upgrade() -> None:
    cols = ", ".join(FIELDS)
    sums = ", ".join(f"sum({f})" for f in FIELDS)
    op.execute(
        f"INSERT INTO event_stat (unit_id, day, category_id, shard, {cols}) "  # noqa: S608  (fixed column names)
        f"SELECT unit_id, day, 0, 0, {sums} FROM event_stat WHERE category_id <> 0 GROUP BY unit_id, day"
    )


def downgrade() -> None:
    op.execute("DELETE FROM event_stat WHERE category_id = 0")
