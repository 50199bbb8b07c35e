"""Load over loopback: N concurrent clients creating single events through `POST /api/events` against a
real `cityops serve` process for a bounded time; the same clients calling `GET /api/health` (routing,
middleware and the HTTP stack, no database work) are the same-run baseline."""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from cityops.bench import BenchResult

CATEGORIES = ("municipal.streetlight_fault", "city_appearance.street_vending", "municipal.drain_blocked")


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    cityops = Path(sys.executable).parent / "cityops"
    env = {**os.environ, "CITYOPS_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [str(cityops), "serve", "--port", str(port), "--no-migrate", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def _drive(base: str, token: str, clients: int, seconds: float, create: bool, streets: list[str]) -> Load:
    """Closed-loop clients, one keep-alive connection and thread each (stdlib http.client: the lightest
    client available, so the figure is the server's rather than the load generator's)."""
    load = Load()
    lock = threading.Lock()
    host, port = base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine: list[float] = []
        errors: dict[str, int] = {}
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            t0 = time.perf_counter()
            try:
                if create:
                    body = json.dumps(
                        {
                            "category": rng.choice(CATEGORIES),
                            "description": f"压测 客户端{n} 第{i}条：路面问题",
                            "unit_code": rng.choice(streets),
                            "source": "grid_worker",
                        },
                        ensure_ascii=False,
                    )
                    conn.request("POST", "/api/events", body=body.encode(), headers=headers)
                else:
                    conn.request("GET", "/api/health", headers=headers)
                response = conn.getresponse()
                response.read()
                ok, key = response.status < 300, str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                ok, key = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            if ok:
                mine.append((time.perf_counter() - t0) * 1000)
            else:
                errors[key] = errors.get(key, 0) + 1
        conn.close()
        with lock:
            load.latencies_ms.extend(mine)
            for k, v in errors.items():
                load.errors[k] = load.errors.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.seconds = time.perf_counter() - t0
    return load


def run(database_url: str, *, clients: int = 50, seconds: int = 60, workers: int = 1) -> BenchResult:
    """The database must be migrated, with the Chongqing tree and catalogue (see `_fresh_database`)."""
    from cityops import models  # noqa: F401
    from cityops.core.actor import Role, system_actor
    from cityops.core.auth import create_user
    from cityops.core.db import make_engine, session_scope
    from cityops.org.models import OrgUnit
    from cityops.org.service import get_by_code
    from cityops.runtime import session_factory

    engine = make_engine(database_url)
    with session_scope(session_factory(engine)) as s:
        unit = get_by_code(s, "500000")
        codes = s.scalars(select(OrgUnit.code).where(OrgUnit.level == "street").order_by(OrgUnit.code))
        streets = [c for c in codes if c][::20]
        create_user(
            s,
            system_actor("system:bench"),
            username=f"bench_http_{os.getpid()}",
            password="BenchHttp2026!",
            roles=[Role.grid_worker],
            unit_id=unit.id if unit else None,
        )
    engine.dispose()
    port = free_port()
    server = start_server(database_url, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        token = httpx.post(
            f"{base}/api/auth/login", json={"username": f"bench_http_{os.getpid()}", "password": "BenchHttp2026!"}
        ).json()["token"]
        ours = _drive(base, token, clients, seconds, create=True, streets=streets)
        baseline = _drive(base, token, clients, max(2, seconds // 4), create=False, streets=streets)
    finally:
        server.terminate()
        server.wait(30)
    errors = sum(ours.errors.values())
    return BenchResult(
        name="http: single-event create under concurrent load",
        what=(
            f"POST /api/events, {clients} clients × {ours.seconds:.0f} s on loopback, {workers} server process(es); "
            f"p50 {ours.pct(0.5):.1f} ms, p99 {ours.pct(0.99):.1f} ms, {len(ours.latencies_ms):,} created, "
            f"{errors} errors {ours.errors or ''}"
        ),
        ours=ours.rate,
        baseline=baseline.rate,
        unit="requests/s",
        baseline_what=(
            f"GET /api/health by the same clients ({baseline.seconds:.0f} s): p50 {baseline.pct(0.5):.1f} ms, "
            f"p99 {baseline.pct(0.99):.1f} ms"
        ),
        target="p99 < 50 ms and 0 errors",
        notes=f"p99 {'met' if ours.pct(0.99) < 50 and not errors else 'NOT met'}: p99 {ours.pct(0.99):.1f} ms, "
        f"{errors} errors",
    )
