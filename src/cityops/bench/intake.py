"""Bulk event intake: our intake service (validation, location, idempotency, routing, deadlines, event +
timeline + audit chain + outbox + counters) vs plain executemany of the same rows into the same database."""

from __future__ import annotations

import random
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.bench import BenchResult
from cityops.core import outbox
from cityops.core.actor import system_actor
from cityops.core.audit import AuditEntry, AuditHead, AuditPending
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from cityops.events import catalogue
from cityops.events.intake import IntakeItem, intake_many, warm_up
from cityops.events.models import Event, EventGauge, EventLog, EventStat
from cityops.org.models import OrgLevel, OrgUnit


def make_items(session: Session, n: int, seed: int = 11) -> list[IntakeItem]:
    """Realistic reports: half with a GPS point near a district's centre, half with a street address."""
    rng = random.Random(seed)
    cats = list(catalogue.view(session).by_code.values())
    cats = [c for c in cats if not c.required_fields]
    districts: list[tuple[str, float, float]] = [
        (name, lon, lat)
        for name, lon, lat in session.execute(
            select(OrgUnit.name, OrgUnit.lon, OrgUnit.lat).where(
                OrgUnit.level == OrgLevel.district, OrgUnit.lon.is_not(None)
            )
        )
        if lon is not None and lat is not None
    ]
    streets = session.execute(select(OrgUnit.name, OrgUnit.path).where(OrgUnit.level == OrgLevel.street)).all()
    names = {
        uid: name
        for uid, name in session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.level == OrgLevel.district))
    }
    items = []
    for i in range(n):
        cat = rng.choice(cats)
        if i % 2:
            _, lon, lat = rng.choice(districts)
            items.append(
                IntakeItem(
                    category=cat.code,
                    description=f"{cat.name}：群众反映第{i}号问题",
                    source="import",
                    lon=lon + rng.uniform(-0.002, 0.002),
                    lat=lat + rng.uniform(-0.002, 0.002),
                    reporter_phone="13800138000",
                    idempotency_key=f"bench-{seed}-{i}",
                )
            )
        else:
            street, path = rng.choice(streets)
            district = names.get(int(path.strip("/").split("/")[1]), "")
            items.append(
                IntakeItem(
                    category=cat.code,
                    description=f"{cat.name}：群众反映第{i}号问题",
                    source="import",
                    address=f"{district}{street}{rng.randint(1, 300)}号",
                    reporter_phone="13800138000",
                    idempotency_key=f"bench-{seed}-{i}",
                )
            )
    return items


def fill_to(factory: sessionmaker[Session], events: int, *, batch: int = 5_000) -> int:
    """Bring the event table up to `events` rows through bulk intake (a bench that reads wants a city's
    table, not a fresh one); the rows it added."""
    actor = system_actor("system:bench")
    with session_scope(factory, write=False) as s:
        have = s.scalar(select(func.count(Event.id))) or 0
        items = make_items(s, max(0, events - have), seed=100_000 + have) if have < events else []
    created = 0
    for i in range(0, len(items), batch):
        with session_scope(factory) as s:
            created += sum(1 for r in intake_many(s, actor, items[i : i + batch]) if r.created)
    return created


def run(engine: Engine, factory: sessionmaker[Session], *, events: int = 100_000, batch: int = 5_000) -> BenchResult:
    actor = system_actor("system:bench")
    with session_scope(factory, write=False) as s:
        items = make_items(s, events)
        warm_up(s)  # as a server or an ingest worker does once at start, not inside its first report
    t0 = time.perf_counter()
    created = 0
    for i in range(0, len(items), batch):
        with session_scope(factory) as s:
            created += sum(1 for r in intake_many(s, actor, items[i : i + batch]) if r.created)
    ours_s = time.perf_counter() - t0
    if created != events:
        raise AssertionError(f"only {created} of {events} events were created")

    tables: tuple[Any, ...] = (Event, EventLog, OutboxMessage, AuditPending)
    rows: dict[str, list[dict[str, Any]]] = {}
    with session_scope(factory) as s:
        for model in tables:
            cols = [c.name for c in model.__table__.columns]
            rows[model.__tablename__] = [
                dict(zip(cols, r, strict=True))
                for r in s.execute(text(f"SELECT {', '.join(cols)} FROM {model.__tablename__}"))
            ]
        for cleared in (EventLog, OutboxMessage, EventStat, EventGauge, AuditPending, AuditEntry, Event):
            s.execute(delete(cleared))
        s.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    baseline_s = _plain_executemany(engine, rows)
    n_rows = sum(len(v) for v in rows.values())
    return BenchResult(
        name="intake: events through the intake service",
        what=f"{events:,} events in batches of {batch:,} (validate, geo-resolve, idempotency, route, deadline; "
        f"event + 2 timeline rows, an outbox row per {outbox.PER_ROW} events, counters, one audit entry per "
        f"batch; caches warmed first, as a server does at start) in {ours_s:.2f} s",
        ours=events / ours_s,
        baseline=events / baseline_s,
        unit="events/s",
        baseline_what=f"plain sqlite3 executemany of the same {n_rows:,} rows (event, timeline, outbox, audit) in one "
        f"transaction: {baseline_s:.2f} s",
        target="≥ 20,000 events/s per process (SQLite)",
    )


def _plain_executemany(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> float:
    path = engine.url.database or ""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    prepared = []
    for table, data in rows.items():
        if not data:
            continue
        cols = list(data[0])
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
        prepared.append((sql, [tuple(_plain(r[c]) for c in cols) for r in data]))
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for sql, values in prepared:
        con.executemany(sql, values)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def _plain(v: Any) -> Any:
    return v.isoformat(sep=" ") if hasattr(v, "isoformat") else v


def setup_database(engine: Engine, factory: sessionmaker[Session]) -> None:
    """A fresh demo database: schema, the Chongqing tree and the default catalogue."""
    from cityops.apps.bundles import install_all
    from cityops.core.migrate import upgrade
    from cityops.org.loader import import_chongqing

    upgrade(engine)
    with session_scope(factory) as s:
        if s.scalar(select(AuditHead.seq)) is None:
            raise RuntimeError("audit head missing")
        import_chongqing(s, system_actor("system:bench"), grids_per_community=1)
        install_all(s, system_actor("system:bench"), ["minhu"])
