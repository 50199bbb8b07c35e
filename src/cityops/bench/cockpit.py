"""The city cockpit summary over a large event table: ours (KPI tiles, 41 district rows, top categories and
the 30-day trend from the incremental counters, plus active alarms) vs the same figures computed
straight from the event table, in the same database.

The table is filled inside SQLite (a recursive CTE copying one real event with varied place, category,
time and status) and the counters are derived from it with GROUP BY — the state `cityops simulate`
leaves behind, built in minutes instead of hours."""

from __future__ import annotations

import itertools
import sqlite3
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.bench import BenchResult
from cityops.bench.sweep import _plain, template_event
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events import metrics
from cityops.org.models import OrgLevel, OrgUnit

# Counters as PostgreSQL keeps them: today's and yesterday's spread over 8 shards (events.metrics), older days
# folded into one row per key by the worker (events.fold); the reads sum whatever is there.
SHARDS = 8
VARIED = {
    "ref",
    "idempotency_key",
    "category_id",
    "unit_id",
    "unit_path",
    "owner_unit_id",
    "owner_path",
    "status",
    "stage",
    "received_at",
    "stage_started_at",
    "closed_at",
    "due_at",
    "warn_at",
    "title",
}


def fill(engine: Engine, factory: sessionmaker[Session], events: int, *, days: int = 365) -> None:
    """Copy one real event `events` times inside SQLite, then derive the counters from the copies."""
    template, streets, cats = _template(factory)
    con = sqlite3.connect(engine.url.database or "", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    _lookup_tables(con, streets, cats)
    con.execute("BEGIN")
    _copy_events(con, template, events, days, n_streets=len(streets), n_cats=len(cats))
    _derive_counters(con)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def _template(factory: sessionmaker[Session]) -> tuple[dict[str, Any], list[Any], list[int]]:
    """One event made by intake (every column as the platform writes it), the streets and the categories."""
    with session_scope(factory) as s:
        template = template_event(s)
        streets = s.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.level == OrgLevel.street)).all()
        from cityops.events.models import Category

        cats = list(s.scalars(select(Category.id).where(Category.parent_id.is_not(None))))
    return template, list(streets), cats


def _lookup_tables(con: sqlite3.Connection, streets: list[Any], cats: list[int]) -> None:
    """Numbered streets (with their district and city) and categories, for the copies to pick from."""
    con.execute("CREATE TEMP TABLE bu (k INTEGER PRIMARY KEY, unit_id INT, path TEXT, district INT, city INT)")
    rows = []
    for k, (uid, path) in enumerate(streets):
        ids = [int(p) for p in path.strip("/").split("/")]
        rows.append((k, uid, path, ids[1], ids[0]))
    con.executemany("INSERT INTO bu VALUES (?,?,?,?,?)", rows)
    con.execute("CREATE TEMP TABLE bc (k INTEGER PRIMARY KEY, id INT)")
    con.executemany("INSERT INTO bc VALUES (?,?)", list(enumerate(cats)))


def _copy_events(
    con: sqlite3.Connection, template: dict[str, Any], events: int, days: int, *, n_streets: int, n_cats: int
) -> None:
    now = clock.now().replace(tzinfo=None)
    start = (now - timedelta(days=days)).isoformat(sep=" ")
    step = days * 86400 / events
    const = [c for c in template if c != "id" and c not in VARIED]
    cols = [*const, *sorted(VARIED)]
    varied_sql = {
        "ref": "'S' || printf('%011d', i)",
        "idempotency_key": "NULL",
        "category_id": f"(SELECT id FROM bc WHERE k = (i * 7919) % {n_cats})",
        "unit_id": "bu.unit_id",
        "owner_unit_id": "bu.unit_id",
        "unit_path": "bu.path",
        "owner_path": "bu.path",
        "status": "CASE WHEN i % 40 = 0 THEN 'dispatched' ELSE 'closed' END",
        "stage": "CASE WHEN i % 40 = 0 THEN 'sign' ELSE 'none' END",
        "received_at": f"datetime('{start}', '+' || CAST(i * {step} AS INTEGER) || ' seconds')",
        "stage_started_at": f"datetime('{start}', '+' || CAST(i * {step} AS INTEGER) || ' seconds')",
        "closed_at": f"CASE WHEN i % 40 = 0 THEN NULL ELSE datetime('{start}', '+' || "
        f"(CAST(i * {step} AS INTEGER) + 3600 + (i % 97) * 600) || ' seconds') END",
        "due_at": f"datetime('{start}', '+' || (CAST(i * {step} AS INTEGER) + 86400) || ' seconds')",
        "warn_at": f"datetime('{start}', '+' || (CAST(i * {step} AS INTEGER) + 70000) || ' seconds')",
        "title": "'模拟事件 ' || i",
    }
    select_sql = ", ".join(["?"] * len(const) + [varied_sql[c] for c in sorted(VARIED)])
    params = [_plain(template[c]) for c in const]
    chunk = 1_000_000
    for lo in range(0, events, chunk):
        hi = min(events, lo + chunk)
        con.execute(
            f"INSERT INTO event ({', '.join(cols)}) "
            f"WITH RECURSIVE seq(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM seq WHERE i < {hi - 1}) "
            f"SELECT {select_sql} FROM seq JOIN bu ON bu.k = (i * 104729) % {n_streets}",
            params,
        )


def _derive_counters(con: sqlite3.Connection) -> None:
    """The counters `cityops simulate` would leave: per street, district and city; the last two days in shards."""
    recent = (metrics.local_day(clock.now()) - timedelta(days=1)).isoformat()
    shard = f"CASE WHEN date(e.received_at, '+8 hours') >= '{recent}' THEN e.id % {SHARDS} ELSE 0 END"
    con.execute("DELETE FROM event_stat")
    con.execute("DELETE FROM event_gauge")
    # Each category's row and the category-less total (metrics.ALL_CATEGORIES), as metrics.count keeps them.
    for level, category in itertools.product(("unit_id", "district", "city"), ("e.category_id", "0")):
        con.execute(
            f"INSERT INTO event_stat (unit_id, day, category_id, shard, received, closed, closed_on_time, "
            f"handling_seconds, returned, went_overdue, rated, satisfied) "
            f"SELECT bu.{level}, date(e.received_at, '+8 hours'), {category}, {shard}, count(*), "
            f"sum(e.status = 'closed'), coalesce(sum(e.status = 'closed' AND e.closed_at <= e.due_at), 0), "
            f"total((julianday(e.closed_at) - julianday(e.received_at)) * 86400), "
            f"0, coalesce(sum(e.closed_at > e.due_at), 0), 0, 0 "
            f"FROM event e JOIN bu ON bu.unit_id = e.unit_id GROUP BY 1, 2, 3, 4"
        )
    for level in ("unit_id", "district", "city"):
        con.execute(
            f"INSERT INTO event_gauge (unit_id, shard, open, overdue) SELECT bu.{level}, e.id % {SHARDS}, "
            f"count(*), 0 FROM event e JOIN bu ON bu.unit_id = e.unit_id WHERE e.status = 'dispatched' GROUP BY 1, 2"
        )


def run(engine: Engine, factory: sessionmaker[Session], *, events: int = 10_000_000, repeats: int = 20) -> BenchResult:
    from cityops.web.cockpit import summary

    t_fill = time.perf_counter()
    fill(engine, factory, events)
    fill_s = time.perf_counter() - t_fill
    actor = system_actor("system:bench")
    timings = []
    with session_scope(factory, write=False) as s:
        city = s.scalars(select(OrgUnit).where(OrgUnit.level == OrgLevel.city)).one()
        summary(s, actor, city)  # warm the caches (catalogue, org) as a running server has them
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = summary(s, actor, city)
            timings.append(time.perf_counter() - t0)
    timings.sort()
    ours_ms = timings[len(timings) // 2] * 1000
    con = sqlite3.connect(engine.url.database or "")
    since = (clock.now() - timedelta(days=29)).replace(tzinfo=None).isoformat(sep=" ")
    t0 = time.perf_counter()
    # The same month figures per district straight from the event table: what a cockpit without counters does.
    rows = con.execute(
        "SELECT unit_id, count(*), sum(status = 'closed'), sum(status = 'closed' AND closed_at <= due_at) "
        "FROM event WHERE received_at >= ? GROUP BY unit_id",
        (since,),
    ).fetchall()
    base_ms = (time.perf_counter() - t0) * 1000
    con.close()
    return BenchResult(
        name="city cockpit summary over a large event table",
        what=f"{events:,} events: KPI tiles, {len(result.children)} district rows, top categories, 30-day trend and "
        f"alarms for the city in {ours_ms:.1f} ms (median of {repeats}; table filled in {fill_s:.0f} s)",
        ours=1000 / ours_ms,
        baseline=1000 / base_ms,
        unit="summaries/s",
        baseline_what=f"the month's counts per unit straight from the event table ({len(rows):,} units): "
        f"{base_ms:.0f} ms",
        target="under 100 ms over 10,000,000 events",
        notes=f"summary_ms={ours_ms:.1f} — target {'met' if ours_ms < 100 else 'NOT met'}",
    )
