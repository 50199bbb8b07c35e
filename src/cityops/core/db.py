"""Database: typed declarative base, portable column types, engines for SQLite and PostgreSQL.

Transactions belong to the caller: the HTTP route boundary, a CLI command or a worker job opens a
session with `session_scope()` (or the route class in `core.deps`) and commits; services never do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, TypeAlias

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Select,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker

from cityops.core import cache, clock, idle_ping, savepoints
from cityops.core.hooks import HOOKS_KEY, Hooks
from cityops.core.sqlite_turns import BUSY_SECONDS, HOLDS_WRITE_LOCK, configure_sqlite, wrote_since_begin

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A SELECT of any columns (SQLAlchemy 2.1 types Select by its column tuple).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite stores them naive; we restore the zone on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not UTC:  # the common case (clock.now()) skips the conversion
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else clock.as_utc(value)


def dumps(value: Any) -> str:
    """The one JSON text the platform stores (and hashes, in the audit chain): sorted keys, UTF-8 as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class JSONRaw(str):
    """Text already serialized the way JSONText would (`dumps`): stored as it is. Bulk paths build one per
    route or unit and reuse it for many rows."""

    __slots__ = ()


class JSONText(TypeDecorator[Any]):
    """JSON stored as text on every backend (portable; no PostgreSQL-only JSONB)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return _json_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is JSONRaw:
        return value
    if not value and isinstance(value, dict | list):  # most rows carry empty attributes and attachments
        return "{}" if isinstance(value, dict) else "[]"
    return dumps(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), str: String(255)}  # noqa: RUF012


FEW_ROWS = 16  # up to this many rows, bulk_insert sends one multi-row INSERT instead of an executemany


def bulk_insert(session: Session, model: Any, rows: list[dict[str, Any]], *, suffix: str = "") -> None:
    """Hot-path batch insert: one DBAPI call, with each column's bind processing done once per value.

    Every row must carry the same keys. Columns left out get their model's scalar Python-side default
    (`default=0`, `default=dict` …), else NULL or the database default, so a new column with a default
    never lands as NULL from a hot path that does not know it. `suffix` may add an ON CONFLICT clause (same
    syntax on SQLite and PostgreSQL). Measured by `cityops bench intake`: SQLAlchemy's generic executemany
    spends most of its time building parameters.
    """
    if not rows:
        return
    plan = _insert_plan(model.__table__, tuple(rows[0]), session.get_bind().dialect)
    data = plan.bind(rows)
    if len(data) > FEW_ROWS:
        session.connection().exec_driver_sql(f"{plan.head}{plan.marks} {suffix}", data)
        return
    # A few rows (one request's) go as one statement of several VALUES: psycopg runs executemany in pipeline
    # mode, a sync more per statement, which costs a single create more than the rows themselves.
    flat = tuple(v for row in data for v in row)
    session.connection().exec_driver_sql(f"{plan.head}{', '.join([plan.marks] * len(data))} {suffix}", flat)


@dataclass(frozen=True)
class _InsertPlan:
    """What `bulk_insert` works out once per (table, keys given, dialect): the columns in order (the rows'
    keys, then the defaulted ones), the statement's head, and how each value is bound. A single create
    inserts six rows of six tables; working this out on every call took about a fifth of its server thread."""

    cols: tuple[str, ...]
    head: str
    marks: str
    getter: Any
    given: int
    made: tuple[tuple[int, Any], ...]  # defaults made fresh per row (default=dict)
    extra: tuple[Any, ...]  # the defaulted columns' values, scalar ones already bound
    processors: tuple[tuple[int, Any, bool], ...]  # (position, bind processor, memoised per batch)

    def bind(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        getter, extra, made, n = self.getter, self.extra, self.made, self.given
        active = [(i, _memo(p) if memo else p) for i, p, memo in self.processors]
        data: list[tuple[Any, ...]] = []
        for r in rows:
            values = [*getter(r), *extra] if n > 1 else [getter(r), *extra]
            for i, factory in made:
                values[i] = factory()
            for i, proc in active:
                values[i] = proc(values[i])
            data.append(tuple(values))
        return data


@lru_cache(maxsize=512)
def _insert_plan(table: Any, given: tuple[str, ...], dialect: Dialect) -> _InsertPlan:
    defaults = _scalar_defaults(table, set(given))
    cols = [*given, *(c for c, _ in defaults)]
    processor = {i: p for i, c in enumerate(cols) if (p := _fast_processor(table.c[c].type, dialect)) is not None}
    n = len(given)
    made = [(n + k, v) for k, (_, v) in enumerate(defaults) if callable(v)]
    # A scalar default is the same for every row: bound-processed once here, not once per row.
    extra = [v if callable(v) or n + k not in processor else processor[n + k](v) for k, (_, v) in enumerate(defaults)]
    per_row = set(range(n)) | {i for i, _ in made}
    # A batch's rows share few distinct times (a batch's `now`, a few deadlines): each converted once.
    processors = [(i, p, isinstance(table.c[cols[i]].type, UTCDateTime)) for i, p in processor.items() if i in per_row]
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    # Identifiers come from our own table metadata, quoted; values are bound parameters.
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) VALUES "  # noqa: S608
    marks = "(" + ", ".join(mark for _ in cols) + ")"
    return _InsertPlan(tuple(cols), head, marks, itemgetter(*given), n, tuple(made), tuple(extra), tuple(processors))


def adopt(session: Session, model: Any, row: dict[str, Any]) -> Any:
    """The object of a row `bulk_insert` just wrote, made persistent in the session without reading it
    back (a single report answers with its event: one round trip fewer). It carries the row's values and
    the same Python-side defaults; a column filled by the database itself is loaded on first access."""
    values = dict(row)
    defaults, nulls = _left_out(model.__table__, tuple(row))
    for column, default in defaults:
        values[column] = default() if callable(default) else default
    values.update(dict.fromkeys(nulls))
    obj = model(**values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


@lru_cache(maxsize=256)
def _left_out(table: Any, given: tuple[str, ...]) -> tuple[list[tuple[str, Any]], list[str]]:
    """For a row of `given` keys: the defaulted columns left out, and those left out with no default of any
    kind (bulk_insert wrote NULL)."""
    defaults = _scalar_defaults(table, set(given))
    filled = set(given) | {c for c, _ in defaults}
    nulls = [c.key for c in table.columns if c.key not in filled and c.server_default is None and not c.primary_key]
    return defaults, nulls


def _scalar_defaults(table: Any, given: set[str]) -> list[tuple[str, Any]]:
    """(column, value or zero-argument factory) for the columns not given that have a Python-side default."""
    out: list[tuple[str, Any]] = []
    for column in table.columns:
        default = column.default
        if column.key in given or default is None or column.primary_key:
            continue
        if default.is_scalar:
            out.append((column.key, default.arg))
        elif default.is_callable:  # e.g. default=dict: SQLAlchemy wraps it as fn(context)
            out.append((column.key, partial(default.arg, None)))
    return out


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite DATETIME stores for an aware UTC value, in one step."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _memo(proc: Any) -> Any:
    """A batch's rows share few distinct times (a batch's `now`, a few deadlines): convert each once."""
    done: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return done[value]
        except KeyError:
            out = done[value] = proc(value)
            return out

    return convert


def _fast_processor(type_: Any, dialect: Dialect) -> Any:
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc_text
    if isinstance(type_, JSONText) and Text().dialect_impl(dialect).bind_processor(dialect) is None:
        return _json_text
    return type_.dialect_impl(dialect).bind_processor(dialect)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": BUSY_SECONDS})
        engine = create_engine(url, **kwargs)
        configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # psycopg prepares a statement after 5 runs and PostgreSQL may then keep a generic plan, made without the
    # parameters' values. For a subtree test (`unit_path >= :a AND unit_path < :b`) that plan guesses a narrow
    # range and scans two indexes, even when the subtree is the whole city: the city's capped event count took
    # 14–23 ms against 5 ms planned for its values. Planning each run costs ≈ 0.1–0.5 ms on simple reads.
    if "options" not in make_url(url).query:  # an operator's own `?options=` in the URL is left as given
        kwargs.setdefault("connect_args", {}).setdefault("options", "-c plan_cache_mode=force_custom_plan")
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        idle_ping.install(engine)  # pinged after idling, not at every checkout
    return engine


def open_pool(engine: Engine) -> int:
    """Open the pool's connections before the first request (a server's warm-up): otherwise the first
    requests after a start each wait for a new PostgreSQL session, a visible spike. How many were opened."""
    size = getattr(engine.pool, "size", lambda: 0)()
    held = [engine.connect() for _ in range(size)] if engine.dialect.name == "postgresql" else []
    for conn in held:
        conn.close()
    return len(held)


def make_sessionmaker(engine: Engine, hooks: Hooks) -> sessionmaker[Session]:
    """Sessions for one app, worker or command: every session carries the hooks and runs their commit
    hooks (audit chaining, counter folding). Use `cityops.runtime.session_factory`, which builds them."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info={HOOKS_KEY: hooks})
    event.listen(factory, "before_commit", hooks.run_before_commit)
    event.listen(factory, "after_rollback", hooks.run_after_rollback)
    event.listen(factory, "after_transaction_create", hooks.note_savepoint)
    event.listen(factory, "after_transaction_end", savepoints.forget)
    cache.install(factory)
    return factory


def begin_write(session: Session) -> None:
    """Mark the session's transaction as a writer (BEGIN IMMEDIATE on SQLite; no-op on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_immediate": True})


AUDIT_QUEUE = "audit_pending"  # core.audit's entries queued on a session, inserted when it commits


def _has_written(session: Session) -> bool:
    """Whether the session's transaction holds work: changes not flushed yet, audit entries queued, or rows
    written on its connection (ORM flushes and Core statements alike: SQLite counts them)."""
    if session.new or session.dirty or session.deleted or session.info.get(AUDIT_QUEUE):
        return True
    return wrote_since_begin(session.connection())


def write_after_read(session: Session) -> None:
    """Before a read-only request writes (an audited read, an export's audit entry): on SQLite, end its
    read snapshot and begin a writer's transaction. A snapshot cannot become a writer once another writer
    has committed since it began (SQLite answers "database is locked" at once, without waiting), which on
    a busy city is most of the time; taking a turn as a writer waits instead. The reads already made are
    not repeated: they are the request's answer, and the write records them."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().info.get(HOLDS_WRITE_LOCK) or _has_written(session):
            return  # already a writer, or has written (its work is not to be committed half done)
        session.commit()
    begin_write(session)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One transaction for a CLI command or a job: commit on success, roll back on error."""
    session = factory()
    try:
        if write:
            begin_write(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
