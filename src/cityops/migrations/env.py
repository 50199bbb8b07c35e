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


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """An index the models create on one database only (`Index(...).ddl_if(dialect=...)`: the raw readings'
    key leads with the time on SQLite, with the device on PostgreSQL) is not expected on the other."""
    ddl_if = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
    return ddl_if is None or ddl_if.dialect is None or ddl_if.dialect == context.get_bind().dialect.name


def run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
        include_object=include_object,
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
