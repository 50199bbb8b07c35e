"""Faults a production cluster meets: the database going away under load, a worker SIGKILLed in the middle
of an outside delivery, and two API processes with two workers sharing one minute of mixed load."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock, outbox
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from cityops.events.models import Event, EventLog
from tests.conftest import IS_PG, PG_ADMIN_URL, _free_port
from tests.core.procs import audit_verify, start_server, start_worker, stop
from tests.factories import PASSWORD, make_user, unit

STREET = "500103003"  # 解放碑街道


def _report(i: int, tag: str) -> dict[str, Any]:
    return {
        "category": "municipal.streetlight_fault",
        "description": f"{tag} 第{i}条 路灯不亮",
        "unit_code": STREET,
        "idempotency_key": f"{tag}-{i}",
        "source": "grid_worker",
    }


def _token(base: str, username: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _refuse_connections(dbname: str) -> None:
    """Every session of the database killed and new ones refused for three seconds."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false'))
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": dbname})
        time.sleep(3)
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()


def _restart_server(_dbname: str) -> None:
    """The PostgreSQL server itself restarted (fast shutdown: sessions ended, then a cold start)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        cluster = str(c.execute(text("SHOW cluster_name")).scalar() or "")
    admin.dispose()
    version, _, name = cluster.partition("/")
    if not (name and shutil.which("pg_ctlcluster") and os.geteuid() == 0):
        pytest.skip("restarting needs a local Debian cluster (pg_ctlcluster) and root")
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart", "-m", "fast"]
    subprocess.run(command, check=True, timeout=120, capture_output=True)


@pytest.mark.skipif(not IS_PG, reason="a PostgreSQL server going away")
@pytest.mark.parametrize("outage", [_refuse_connections, _restart_server], ids=["refused", "restarted"])
def test_database_away_under_load_answers_503_then_recovers_losing_nothing_acknowledged(
    db_url: str, factory: sessionmaker[Session], outage: Callable[[str], None]
) -> None:
    """The database goes away under load — its sessions killed and new ones refused for three seconds, or
    the server restarted: requests in that window get 503 with Retry-After, never 500; the client retries
    with its idempotency key; afterwards the same server process serves again by itself."""
    make_user(factory, "fault_grid", [Role.grid_worker, Role.dispatcher], unit_code=STREET)
    port = _free_port()
    server = start_server(db_url, port)
    base, dbname = f"http://127.0.0.1:{port}", make_url(db_url).database
    headers = _token(base, "fault_grid")
    statuses: Counter[int] = Counter()
    acknowledged: dict[str, int] = {}
    stop_sending = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            i = 0
            while not stop_sending.is_set():
                r = http.post("/api/events", json=_report(i, "away"))
                statuses[r.status_code] += 1
                if r.status_code == 503:
                    assert r.headers["Retry-After"] == "2" and r.json()["code"] == "database.unavailable"
                    time.sleep(0.05)
                    continue  # retried with the same key
                assert r.status_code in (200, 201), r.text
                acknowledged[f"away-{i}"] = r.json()["id"]
                i += 1

    sender = threading.Thread(target=send)
    sender.start()
    try:
        while len(acknowledged) < 20:
            time.sleep(0.02)
        outage(str(dbname))
        during = len(acknowledged)
        deadline = time.monotonic() + 20
        while len(acknowledged) < during + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_sending.set()
        sender.join(30)
        stop(server)
    assert statuses[503] > 0 and statuses[500] == 0, statuses
    assert len(acknowledged) >= during + 20, "the server did not recover by itself"
    with factory() as s:
        rows = s.execute(select(Event.idempotency_key, Event.id).where(Event.idempotency_key.like("away-%")))
        stored = {str(key): int(event_id) for key, event_id in rows}
    assert stored == acknowledged  # every acknowledged report kept, with its id, none twice


class _Receiver(http.server.ThreadingHTTPServer):
    """A webhook endpoint on loopback that hangs on its first request until released."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.effects: set[str] = set()  # what the receiver did, de-duplicated by the delivery id
        self.first_arrived, self.release = threading.Event(), threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        delivery = self.headers["X-CityOps-Delivery"]
        self.server.requests.append(delivery)
        if len(self.server.requests) == 1:
            self.server.first_arrived.set()
            self.server.release.wait(20)  # the worker is killed while we hold its request
        else:
            self.server.effects.add(f"{delivery}:{body['title']}")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_worker_sigkilled_while_delivering_delivers_again_and_the_effect_happens_once(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with session_scope(factory) as s:
        street = unit(s, STREET)
        outbox.add(
            s, "notify.webhook", url=url, notification_id=4242, unit_id=street.id, kind="test", title="断电", body="x"
        )
    worker = start_worker(db_url, CITYOPS_LEASE_SECONDS="2")
    try:
        assert receiver.first_arrived.wait(30), "the worker never delivered"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        receiver.release.set()
        with factory() as s:
            row = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.webhook")).one()
            assert row.status != "done"  # killed before it could mark the delivery done
        worker = start_worker(db_url, CITYOPS_LEASE_SECONDS="2")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with factory() as s:
                if s.scalar(select(OutboxMessage.status).where(OutboxMessage.topic == "notify.webhook")) == "done":
                    break
            time.sleep(0.2)
    finally:
        stop(worker)
        receiver.shutdown()
    assert receiver.requests[:2] == ["4242", "4242"]  # delivered again, under the same delivery id
    assert receiver.effects == {"4242:断电"}  # and the receiver acted once


def test_two_api_processes_and_two_workers_under_mixed_load_fire_each_deadline_once(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    """Twenty seconds of creates, reads and actions through two servers while two workers sweep deadlines
    and deliver the outbox: every overdue event escalates once, every message is delivered once, and the
    audit chain verifies."""
    make_user(factory, "mix_grid", [Role.grid_worker, Role.dispatcher], unit_code=STREET)
    ports = [_free_port(), _free_port()]
    servers = [start_server(db_url, p) for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    headers = _token(bases[0], "mix_grid")
    with httpx.Client(base_url=bases[0], headers=headers, timeout=30) as http:
        seeded = [http.post("/api/events", json=_report(i, "due")).json()["id"] for i in range(60)]
    with session_scope(factory) as s:  # their accept deadline has passed: the workers must escalate each once
        s.execute(update(Event).where(Event.id.in_(seeded)).values(due_at=clock.now() - timedelta(minutes=1)))
    workers = [start_worker(db_url), start_worker(db_url)]
    errors: Counter[str] = Counter()
    stop_at = time.monotonic() + 20

    def load(n: int) -> None:
        with httpx.Client(base_url=bases[n % 2], headers=headers, timeout=30) as http:
            i = 0
            while time.monotonic() < stop_at:
                i += 1
                r = http.post("/api/events", json=_report(i, f"mix{n}"))
                ok = r.status_code in (200, 201)
                if ok and i % 3 == 0:
                    event_id = r.json()["id"]
                    r = http.get(f"/api/events/{event_id}")
                    ok = r.status_code == 200
                if ok and i % 5 == 0:
                    r = http.get("/api/metrics")
                    ok = r.status_code == 200
                if not ok:
                    errors[str(r.status_code)] += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:  # let the workers drain what the load left
            with factory() as s:
                left = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "done"))
            if left == 0:
                break
            time.sleep(0.3)
    finally:
        stop(*servers, *workers)
    assert not errors, errors
    with factory() as s:
        overdue = Counter(
            s.scalars(select(EventLog.event_id).where(EventLog.action == "overdue", EventLog.event_id.in_(seeded)))
        )
        undone = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "done"))
        delivered = s.scalars(select(OutboxMessage.attempts).where(OutboxMessage.status == "done")).all()
    assert set(overdue) == set(seeded) and set(overdue.values()) == {1}  # each escalated, exactly once
    assert undone == 0 and delivered and max(delivered) == 1  # each message delivered once, none retried
    result = audit_verify(db_url)
    assert result.returncode == 0, result.stdout + result.stderr
