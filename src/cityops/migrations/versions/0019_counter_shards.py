"""counter shards: event_stat, event_gauge and department_stat rows gain a shard in their key

Every transaction adds its deltas to one shard picked at random, so concurrent writers on PostgreSQL
rarely wait on the same counter row (the city's row for today used to be updated by every create). Readers
sum over the shards.

Revision ID: 0019
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0007"
branch_labels = None
depends_on = None

KEYS = {
    "event_stat": ("unit_id", "day", "category_id"),
    "event_gauge": ("unit_id",),
    "department_stat": ("department_id", "day"),
}


def upgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(sa.Column("shard", sa.SmallInteger(), nullable=False, server_default="0"))
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", [*keys, "shard"])


def _fold(table: str, keys: tuple[str, ...]) -> None:
    """Sum each key's shards into one row (shard 0), so the key can lose its shard."""
    bind = op.get_bind()
    t = sa.Table(table, sa.MetaData(), autoload_with=bind)
    values = [c.name for c in t.columns if c.name not in (*keys, "shard")]
    key_cols = [t.c[k] for k in keys]
    sums = [sa.func.sum(t.c[v]).label(v) for v in values]
    rows = [dict(r) for r in bind.execute(sa.select(*key_cols, *sums).group_by(*key_cols)).mappings()]
    bind.execute(t.delete())
    if rows:
        bind.execute(t.insert(), [{**r, "shard": 0} for r in rows])


def downgrade() -> None:
    for table, keys in KEYS.items():
        _fold(table, keys)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.drop_column("shard")
            batch.create_primary_key(f"pk_{table}", list(keys))
