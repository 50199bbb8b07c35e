"""A stream split across two ingest processes through mosquitto shared subscriptions, one of them
SIGKILLed halfway and restarted: every reading the broker acknowledged is stored once, rollups are the
GROUP BY of the raw rows, and each device's alarms move exactly as one process reading its stream in
order would move them (raised and cleared once per crossing, never two at a time)."""

from __future__ import annotations

import itertools
import json
import signal
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.bench.broker import ingest_worker
from cityops.core import clock
from cityops.sensing.models import Alarm, Device, Reading, Rollup
from cityops.sensing.mqtt import prepare_sessions, reading_topic
from tests.factories import Login
from tests.sensing.conftest import register
from tests.sensing.test_rollups import _expected

DEVICES, PER_DEVICE = 40, 60  # 2,400 readings; each device crosses its threshold 15 times
WORKERS = 2


def _client(url: str) -> mqtt.Client:
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(host, int(port))
    client.loop_start()
    return client


def _value(k: int) -> float:
    return 5.0 if k % 4 == 1 else 3.0  # high pressure every fourth reading: raise at 4.5, clear at 4.0


def _hourly_total(session: Session) -> int:
    return int(session.scalar(select(func.sum(Rollup.n)).where(Rollup.period == "h")) or 0)


def test_two_workers_one_killed_halfway(
    client: TestClient,
    gateway: Login,
    session: Session,
    factory: sessionmaker[Session],
    db_url: str,
    mosquitto: str,
    tmp_path: Path,
) -> None:
    codes = [f"CQ-GP-{i:03d}" for i in range(DEVICES)]
    register(
        client, gateway, *[{"code": c, "type": "gas_pressure", "name": c, "unit_code": "500103003"} for c in codes]
    )
    prepare_sessions(mosquitto, WORKERS)
    log = tmp_path / "workers.log"
    workers = [ingest_worker(db_url, mosquitto, w, WORKERS, log) for w in range(WORKERS)]
    pub = _client(mosquitto)
    start = clock.now() - timedelta(hours=1)
    total = DEVICES * PER_DEVICE
    try:
        for k in range(PER_DEVICE):
            for code in codes:
                body = {"ts": (start + timedelta(seconds=k)).isoformat(), "value": _value(k)}
                pub.publish(reading_topic(code), json.dumps(body), qos=1).wait_for_publish(10)  # broker acked
            if k == PER_DEVICE // 2:
                workers[1].send_signal(signal.SIGKILL)  # mid-stream, batches in flight
                workers[1].wait(10)
            elif k == PER_DEVICE // 2 + 10:
                workers[1] = ingest_worker(db_url, mosquitto, 1, WORKERS, log)
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        stored = 0
        while time.monotonic() < deadline:
            session.rollback()
            stored = int(session.scalar(select(func.count()).select_from(Reading)) or 0)
            if stored >= total:
                break
            time.sleep(0.3)
        # A large batch (the restarted worker's backlog) leaves its readings above the rollup watermark on
        # SQLite; an ingest worker folds them itself once the stream pauses.
        while time.monotonic() < deadline + 10 and _hourly_total(session) < stored:
            session.rollback()
            time.sleep(0.3)
    finally:
        pub.loop_stop()
        pub.disconnect()
        for w in workers:
            w.terminate()
            w.wait(20)
    session.rollback()
    assert stored == total, log.read_text()[-3000:]  # none lost
    distinct = session.execute(
        select(func.count()).select_from(select(Reading.device_id, Reading.ts).distinct().subquery())
    )
    assert distinct.scalar_one() == total  # none twice
    rollups = {
        (r.device_id, r.period, r.bucket): (r.n, round(r.total, 6), r.min_value, r.max_value, (r.last_ts, r.last_value))
        for r in session.scalars(select(Rollup))
    }
    assert rollups == _expected(session)

    by_device: dict[int, list[Alarm]] = defaultdict(list)
    for alarm in session.scalars(select(Alarm).order_by(Alarm.start_ts)):
        by_device[alarm.device_id].append(alarm)
    ids = set(session.scalars(select(Device.id).where(Device.code.in_(codes))))
    assert set(by_device) == ids
    for alarms in by_device.values():
        assert [a.type for a in alarms] == ["燃气压力过高"] * (PER_DEVICE // 4)  # one per crossing
        assert all(a.cleared for a in alarms)
        assert all(a.clear_ts is not None and a.clear_ts <= b.start_ts for a, b in itertools.pairwise(alarms))
