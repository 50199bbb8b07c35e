"""Alembic environment: the same migrations for SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import Connection

from cityops import models  # noqa: F401  (every table)
from cityops.core.db import Base, make_engine
from cityops.core.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url
connection = config.attributes.get("connection")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The PostgreSQL partitions of the raw readings table (migration 0014) are not models of their own."""
    return not (type_ == "table" and name is not None and re.fullmatch(r"reading_(default|p\d{8})", name))


def run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
        conn.commit()
    engine.dispose()
