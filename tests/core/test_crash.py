"""Crash safety: the server is killed with SIGKILL while batches of events with idempotency keys are being
posted; after a restart the client retries everything it sent, and every event exists exactly once — the
acknowledged ones with the ids first acknowledged."""

from __future__ import annotations

import signal
import threading
import time

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.events.models import Event
from tests.conftest import _free_port
from tests.core.procs import audit_verify, start_server
from tests.factories import PASSWORD, make_user

BATCHES, PER_BATCH = 30, 300


def _batch(b: int) -> list[dict[str, object]]:
    return [
        {
            "category": "municipal.streetlight_fault",
            "description": f"崩溃测试 第{b}批 第{i}条 路灯不亮",
            "unit_code": "500103003",
            "idempotency_key": f"crash-{b}-{i}",
            "source": "grid_worker",
        }
        for i in range(PER_BATCH)
    ]


def test_sigkill_mid_batch_loses_nothing_acknowledged_and_duplicates_nothing(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    make_user(factory, "crash_grid", [Role.grid_worker, Role.dispatcher], unit_code="500103003")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(db_url, port)
    token = httpx.post(f"{base}/api/auth/login", json={"username": "crash_grid", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: dict[int, list[int]] = {}  # batch -> event ids, in row order
    in_flight = threading.Event()
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            for b in range(BATCHES):
                if stop.is_set():
                    return
                in_flight.set()
                try:
                    r = http.post("/api/events/batch", json=_batch(b))
                except httpx.HTTPError:
                    return  # the server died under this request: not acknowledged
                finally:
                    in_flight.clear()
                assert r.status_code == 200, r.text
                acknowledged[b] = [e["id"] for e in r.json()["events"]]

    sender = threading.Thread(target=send)
    sender.start()
    while len(acknowledged) < 4:
        time.sleep(0.01)
    while not in_flight.is_set():  # kill while a batch is being written
        time.sleep(0.001)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    stop.set()
    sender.join(30)
    assert 4 <= len(acknowledged) < BATCHES

    server = start_server(db_url, port)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for b in range(BATCHES):  # the client retries everything, acknowledged or not
                r = http.post("/api/events/batch", json=_batch(b))
                assert r.status_code == 200 and r.json()["failed"] == 0, r.text
                ids = [e["id"] for e in r.json()["events"]]
                if b in acknowledged:
                    assert ids == acknowledged[b] and r.json()["created"] == 0  # the same events, not new ones
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)

    with factory() as s:
        keys = s.scalar(
            select(func.count(func.distinct(Event.idempotency_key))).where(Event.idempotency_key.like("crash-%"))
        )
        rows = s.scalar(select(func.count()).select_from(Event).where(Event.idempotency_key.like("crash-%")))
    assert keys == rows == BATCHES * PER_BATCH
    audit = audit_verify(db_url)
    assert audit.returncode == 0, audit.stdout + audit.stderr
