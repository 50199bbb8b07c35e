"""Sensor readings through ingest (validation, raw rows, minute/hour rollups, rules, alarm state, device
state) vs plain executemany of the same raw rows; and an MQTT end-to-end run through mosquitto."""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps.bundles import install_all
from cityops.bench import BenchResult
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.org.models import OrgLevel, OrgUnit
from cityops.sensing import ingest, service
from cityops.sensing.models import Alarm, Reading, Rollup
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
    t0 = time.perf_counter()
    accepted = alarms = 0
    for i in range(0, len(items), batch):
        with session_scope(factory) as s:
            result = ingest.ingest(s, items[i : i + batch], source="bench")
        accepted += result.accepted
        alarms += result.alarms_raised
    ours_s = time.perf_counter() - t0
    with session_scope(factory) as s:
        raw = [(d, ts, v) for d, ts, v in s.execute(select(Reading.device_id, Reading.ts, Reading.value))]
        rollups = s.scalar(select(func.count()).select_from(Rollup))
        s.execute(delete(Reading))
    base_s = _plain(engine, raw)
    return BenchResult(
        name="readings: sensor readings through ingest",
        what=f"{accepted:,} readings from {devices:,} devices in batches of {batch:,} (validate, store, "
        f"{rollups:,} minute/hour rollup rows, rules, {alarms:,} alarms raised) in {ours_s:.2f} s",
        ours=accepted / ours_s,
        baseline=len(raw) / base_s,
        unit="readings/s",
        baseline_what=f"plain sqlite3 executemany of the same {len(raw):,} raw rows in one transaction: {base_s:.2f} s",
        target="≥ 50,000 readings/s per process (SQLite)",
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


def run_mqtt(
    engine: Engine,
    factory: sessionmaker[Session],
    url: str,
    *,
    rate: int = 2_000,
    seconds: int = 10,
    crossings: int = 50,
) -> BenchResult:
    """Publish at a stated rate through the broker; count what was stored; time reading → event."""
    import threading

    from cityops.events.models import Event
    from cityops.sensing.mqtt import MqttIngest

    fleet = register_fleet(factory, 500)
    rocks = [code for code, kind in fleet if kind == "rock_displacement"][:crossings]
    with factory() as s:
        registry_of(s).clear()
    sub = MqttIngest(factory, url, "cityops/readings/#", qos=1, flush_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=sub.run_forever, args=(stop,), daemon=True)
    thread.start()
    sub.connected.wait(10)
    # The sensors are another process (as in real life), so publishing does not share our interpreter.
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    results: Any = spawn.Queue()
    total = rate * seconds
    proc = spawn.Process(target=_publish, args=(url, fleet, rocks, rate, seconds, results))
    proc.start()
    publish_s, sent_at = results.get(timeout=seconds + 120)
    proc.join(30)
    deadline = time.monotonic() + 60
    while sub.stats.messages < total and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(10)
    with session_scope(factory, write=False) as s:
        stored = int(s.scalar(select(func.count()).select_from(Reading)) or 0)
        rows = s.execute(select(Event.received_at, Alarm.details).join(Alarm, Alarm.event_id == Event.id)).all()
    latencies = sorted(
        max(0.0, received.timestamp() - sent_at[d["device"]]) for received, d in rows if d.get("device") in sent_at
    )
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    lost = total - stored - sub.stats.rejected
    return BenchResult(
        name="mqtt: publish → mosquitto → ingest, end to end",
        what=f"published {total:,} QoS 1 messages at {rate:,}/s for {seconds} s ({total / publish_s:,.0f}/s achieved); "
        f"stored {stored:,}; lost {lost:,}; reading → event latency for {len(latencies)} threshold crossings: "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
        ours=stored / max(publish_s, 1e-9),
        baseline=total / max(publish_s, 1e-9),
        unit="readings/s",
        baseline_what="the publish rate asked for (every message must be stored)",
        target="lost = 0; p95 reading → event < 1 s",
        notes=f"lost={lost} p95_ms={p95 * 1000:.0f}",
    )


def _publish(url: str, fleet: list[tuple[str, str]], rocks: list[str], rate: int, seconds: int, results: Any) -> None:
    import json

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

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
        pub.publish(f"cityops/readings/{code}", json.dumps({"value": value}), qos=1)
        ahead = (i + 1) / rate - (time.perf_counter() - t0)
        if ahead > 0:
            time.sleep(ahead)
    elapsed = time.perf_counter() - t0
    time.sleep(1)
    pub.loop_stop()
    pub.disconnect()
    results.put((elapsed, sent_at))
