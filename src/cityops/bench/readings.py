"""Sensor readings through ingest (validation, raw rows, minute/hour rollups, rules, alarm state, device
state) vs plain executemany of the same raw rows; and an MQTT end-to-end run through mosquitto."""

from __future__ import annotations

import gc
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps.bundles import install_all
from cityops.bench import BenchResult
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events.models import Event
from cityops.org.models import OrgLevel, OrgUnit
from cityops.sensing import fold, ingest, service
from cityops.sensing.models import Alarm, IngestCounter, Reading, Rollup
from cityops.sensing.registry import registry_of

NORMAL = {
    "rock_displacement": (0.0, 3.0),
    "gas_pressure": (2.2, 3.5),
    "water_pressure": (0.3, 0.5),
    "highrise_fire": (18.0, 30.0),
    "rainfall": (0.0, 8.0),
    "river_level": (160.0, 168.0),
}


def register_fleet(factory: sessionmaker[Session], n: int, seed: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    with session_scope(factory) as s:
        install_all(s, system_actor("system:bench"), ["minhu", "rockfall", "highrise_fire", "lifeline"])
        streets = list(s.scalars(select(OrgUnit.code).where(OrgUnit.level == OrgLevel.street)))
        rows = []
        types = list(NORMAL)
        for i in range(n):
            kind = types[i % len(types)]
            rows.append(
                {"code": f"B-{kind[:4]}-{i:06d}", "type": kind, "name": f"{kind} {i}", "unit_code": rng.choice(streets)}
            )
        _, errors = service.register(s, system_actor("system:bench"), rows)
        assert not errors, errors[:3]
    return [(str(r["code"]), str(r["type"])) for r in rows]


def make_readings(fleet: list[tuple[str, str]], n: int, seed: int = 9) -> list[tuple[int, dict[str, Any]]]:
    rng = random.Random(seed)
    start = clock.now() - timedelta(hours=1)
    step = 3600 / n
    out = []
    levels = {code: rng.uniform(*NORMAL[kind]) for code, kind in fleet}
    for i in range(n):
        code, kind = fleet[i % len(fleet)]
        lo, hi = NORMAL[kind]
        # a slow random walk inside the normal band, and now and then an anomaly that raises an alarm
        levels[code] = min(hi, max(lo, levels[code] + rng.gauss(0, (hi - lo) * 0.002)))
        value = levels[code] if rng.random() > 0.0005 else hi * 4
        out.append((i + 1, {"device": code, "ts": (start + timedelta(seconds=i * step)).isoformat(), "value": value}))
    return out


def run(
    engine: Engine, factory: sessionmaker[Session], *, readings: int = 200_000, devices: int = 2_000, batch: int = 5_000
) -> BenchResult:
    fleet = register_fleet(factory, devices)
    items = make_readings(fleet, readings)
    with factory() as s:
        registry_of(s).clear()
        # A running ingest process has warmed up once (the first alarm's event needs the geo resolver, the
        # routing tree, the catalogue); the device registry stays cold.
        ingest.warm_up(s)
    # The parsed readings this bench holds are not garbage; a server holds no such heap, so keep the
    # collector from walking them over and over (as a server freezes what it loaded at start-up).
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    accepted = alarms = 0
    for i in range(0, len(items), batch):
        with session_scope(factory) as s:
            result = ingest.ingest(s, items[i : i + batch], source="bench")
        accepted += result.accepted
        alarms += result.alarms_raised
    with session_scope(factory) as s:
        fold.fold_pending(s)  # SQLite: what the stream left above the watermark, so every rollup is counted
    ours_s = time.perf_counter() - t0
    gc.unfreeze()
    with session_scope(factory) as s:
        raw = [(d, ts, v) for d, ts, v in s.execute(select(Reading.device_id, Reading.ts, Reading.value))]
        rollups = s.scalar(select(func.count()).select_from(Rollup))
        sizes = _disk(s, len(raw), int(rollups or 0))
        s.execute(delete(Reading))
    pg = engine.dialect.name == "postgresql"
    base_s = _plain_pg(engine, raw) if pg else _plain(engine, raw)
    return BenchResult(
        name=f"readings: sensor readings through ingest ({'PostgreSQL' if pg else 'SQLite'})",
        what=f"{accepted:,} readings from {devices:,} devices in batches of {batch:,} (validate, store, "
        f"{rollups:,} minute/hour rollup rows, rules, {alarms:,} alarms raised) in {ours_s:.2f} s",
        ours=accepted / ours_s,
        baseline=len(raw) / base_s,
        unit="readings/s",
        baseline_what=f"plain {'psycopg' if pg else 'sqlite3'} executemany of the same {len(raw):,} raw rows "
        f"in one transaction: {base_s:.2f} s",
        target="≥ 50,000 readings/s per process" + ("" if pg else " (SQLite)"),
        notes=sizes,
    )


def _plain(engine: Engine, raw: list[tuple[Any, ...]]) -> float:
    con = sqlite3.connect(engine.url.database or "", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    values = [(d, ts.replace(tzinfo=None).isoformat(sep=" "), v) for d, ts, v in raw]
    t0 = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO reading (device_id, ts, value) VALUES (?, ?, ?)", values)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def _disk(session: Session, readings: int, rollups: int) -> str:
    """Bytes on disk per raw reading and per rollup row, tables with their indexes (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql" or not readings:
        return ""
    from sqlalchemy import text

    raw = session.execute(
        text("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'reading'::regclass")
    ).scalar_one()
    roll = session.execute(text("SELECT pg_total_relation_size('reading_rollup')")).scalar_one()
    return f"disk: {int(raw) / readings:.0f} B per raw reading, {int(roll) / max(rollups, 1):.0f} B per rollup row"


def _plain_pg(engine: Engine, raw: list[tuple[Any, ...]]) -> float:
    with engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        t0 = time.perf_counter()
        cur.executemany("INSERT INTO reading (device_id, ts, value) VALUES (%s, %s, %s)", raw)
        conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        elapsed = time.perf_counter() - t0
        conn.exec_driver_sql("DELETE FROM reading")
        conn.commit()
    return elapsed


@contextmanager
def postgres_database(server_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A fresh PostgreSQL database on the given server (created, migrated, seeded, dropped afterwards)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from cityops.bench.intake import setup_database
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    name = f"cityops_bench_{os.getpid()}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    try:
        factory = session_factory(engine)
        setup_database(engine, factory)
        yield engine, factory
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def run_mqtt(
    engine: Engine,
    factory: sessionmaker[Session],
    url: str,
    *,
    rate: int = 2_000,
    seconds: int = 10,
    crossings: int = 50,
    workers: int = 2,
) -> BenchResult:
    """Publish at a stated rate through the broker to `workers` ingest processes (the stream split by device
    bucket); count what was stored, lost and stored twice; time reading → event."""
    import multiprocessing
    import tempfile
    from pathlib import Path

    from cityops.bench.broker import ingest_worker
    from cityops.sensing.mqtt import prepare_sessions

    fleet = register_fleet(factory, 500)
    rocks = [code for code, kind in fleet if kind == "rock_displacement"][:crossings]
    prepare_sessions(url, workers)
    log = Path(tempfile.mkstemp(prefix="cityops-ingest-", suffix=".log")[1])
    procs = [
        ingest_worker(engine.url.render_as_string(hide_password=False), url, w, workers, log) for w in range(workers)
    ]
    # The sensors are another process (as in real life), so publishing does not share our interpreter.
    spawn = multiprocessing.get_context("spawn")
    results: Any = spawn.Queue()
    total = rate * seconds
    try:
        _wait_connected(log, workers, 60)
        proc = spawn.Process(target=_publish, args=(url, fleet, rocks, rate, seconds, results))
        proc.start()
        publish_s, sent_at = results.get(timeout=seconds + 120)
        proc.join(30)
        stored, counts = _wait_stored(factory, total, 60)
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
    with session_scope(factory, write=False) as s:
        rows = s.execute(select(Event.received_at, Alarm.details).join(Alarm, Alarm.event_id == Event.id)).all()
        twice = stored - int(
            s.scalar(select(func.count()).select_from(select(Reading.device_id, Reading.ts).distinct().subquery())) or 0
        )
    latencies = sorted(
        max(0.0, received.timestamp() - sent_at[d["device"]]) for received, d in rows if d.get("device") in sent_at
    )
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    rejected = sum(n for reason, n in counts.items() if reason not in ("accepted", "duplicate"))
    lost = total - stored - rejected
    return BenchResult(
        name=f"mqtt: publish → mosquitto → {workers} ingest processes (shared subscriptions), end to end",
        what=f"published {total:,} QoS 1 messages at {rate:,}/s for {seconds} s ({total / publish_s:,.0f}/s achieved); "
        f"stored {stored:,}; lost {lost:,}; duplicates stored {twice:,} (re-deliveries absorbed "
        f"{counts.get('duplicate', 0):,}); reading → event latency for {len(latencies)} threshold crossings: "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
        ours=stored / max(publish_s, 1e-9),
        baseline=total / max(publish_s, 1e-9),
        unit="readings/s",
        baseline_what="the publish rate asked for (every message must be stored)",
        target="lost = 0; duplicates = 0; p95 reading → event < 1 s",
        notes=f"published={total} stored={stored} lost={lost} duplicates={twice} p95_ms={p95 * 1000:.0f}",
    )


def _wait_connected(log: Any, workers: int, timeout: float) -> None:
    """The workers log a line when they have subscribed; start publishing once all have."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and log.read_text(errors="replace").count("subscribed to") < workers:
        time.sleep(0.1)


def _wait_stored(factory: sessionmaker[Session], total: int, timeout: float) -> tuple[int, dict[str, int]]:
    """Poll until every published reading is stored or rejected (or the time is up)."""
    deadline, stored, counts = time.monotonic() + timeout, 0, {}
    while time.monotonic() < deadline:
        with session_scope(factory, write=False) as s:
            stored = int(s.scalar(select(func.count()).select_from(Reading)) or 0)
            counts = {r: int(n) for r, n in s.execute(select(IngestCounter.reason, IngestCounter.count))}
        if stored + sum(n for r, n in counts.items() if r not in ("accepted", "duplicate")) >= total:
            break
        time.sleep(0.2)
    return stored, counts


def _publish(url: str, fleet: list[tuple[str, str]], rocks: list[str], rate: int, seconds: int, results: Any) -> None:
    import json

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from cityops.sensing.mqtt import reading_topic

    host, port = url.removeprefix("mqtt://").split(":")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2)
    pub.max_inflight_messages_set(500)
    pub.connect(host, int(port))
    pub.loop_start()
    total, sent_at, rng = rate * seconds, {}, random.Random(3)
    t0 = time.perf_counter()
    for i in range(total):
        code, kind = fleet[i % len(fleet)]
        lo, hi = NORMAL[kind]
        value = lo + (hi - lo) * 0.05 + rng.uniform(0, (hi - lo) * 0.0005)  # steady, as healthy sensors are
        if kind == "rock_displacement" and code in rocks and code not in sent_at and i > total // 2:
            value, sent_at[code] = 40.0, time.time()
        # The reading's own time makes a re-delivery recognisable (stored once).
        body = {"value": value, "ts": datetime.now(UTC).isoformat()}
        pub.publish(reading_topic(code), json.dumps(body), qos=1)
        ahead = (i + 1) / rate - (time.perf_counter() - t0)
        if ahead > 0:
            time.sleep(ahead)
    elapsed = time.perf_counter() - t0
    time.sleep(1)
    pub.loop_stop()
    pub.disconnect()
    results.put((elapsed, sent_at))
