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
from collections.abc import Iterator
from contextlib import contextmanager
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
    retried: int = 0  # requests sent again because the server had closed their kept-alive connection

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


def _drive(bases: list[str], token: str, clients: int, seconds: float, create: bool, streets: list[str]) -> Load:
    """Closed-loop clients, one keep-alive connection and thread each (stdlib http.client: the lightest
    client available, so the figure is the server's rather than the load generator's); client n talks to
    server process n mod N, so the processes get equal shares."""
    load = Load()
    lock = threading.Lock()
    addresses = [b.removeprefix("http://").split(":") for b in bases]
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(n: int) -> None:
        rng = random.Random(n)
        host, port = addresses[n % len(addresses)]
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


@dataclass
class Served:
    bases: list[str]  # one per server process, each on its own port
    token: str
    streets: list[str]
    event_ids: list[int]


@contextmanager
def serving(database_url: str, workers: int, *, seed_events: int = 0, table_events: int = 0) -> Iterator[Served]:
    """A real `cityops serve` on a prepared database (migrated, with the Chongqing tree and catalogue), a
    grid worker's token, some streets to report in and, if asked, a few events to read (`seed_events`, made
    through the API) in a table of at least `table_events` (filled by bulk intake first)."""
    from cityops.bench.intake import fill_to
    from cityops.core.actor import Role, system_actor
    from cityops.core.auth import User, create_user
    from cityops.core.db import make_engine, session_scope
    from cityops.events.models import Event
    from cityops.org.models import OrgUnit
    from cityops.org.service import get_by_code
    from cityops.runtime import session_factory

    username, password = f"bench_http_{os.getpid()}_{workers}", "BenchHttp2026!"
    engine = make_engine(database_url)
    fill_to(session_factory(engine), table_events)
    with session_scope(session_factory(engine)) as s:
        unit = get_by_code(s, "500000")
        codes = s.scalars(select(OrgUnit.code).where(OrgUnit.level == "street").order_by(OrgUnit.code))
        streets = [c for c in codes if c][::20]
        if s.scalar(select(User.id).where(User.username == username)) is None:
            create_user(
                s,
                system_actor("system:bench"),
                username=username,
                password=password,
                roles=[Role.grid_worker, Role.dispatcher],
                unit_id=unit.id if unit else None,
            )
    # N processes as docs/operations.md runs a cluster: each `cityops serve` on its own port, the clients
    # spreading their requests over them as nginx's upstream does (one port shared by `--workers N` leaves
    # the split of keep-alive connections to whichever process accepts first).
    ports: list[int] = []
    while len(ports) < workers:
        if (port := free_port()) not in ports:
            ports.append(port)
    servers = [start_server(database_url, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    base = bases[0]
    try:
        token = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}).json()["token"]
        for i in range(seed_events):
            httpx.post(
                f"{base}/api/events",
                headers={"Authorization": f"Bearer {token}"},
                json={"category": CATEGORIES[i % 3], "description": f"读压测底数 {i}", "unit_code": streets[i % 10]},
            )
        with session_scope(session_factory(engine), write=False) as s:
            event_ids = list(s.scalars(select(Event.id).order_by(Event.id.desc()).limit(200)))
        yield Served(bases, token, streets, event_ids)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(30)
        engine.dispose()


def _backend(database_url: str) -> str:
    return "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"


class CpuMeter:
    """How busy all of this machine's CPUs were since it was made (from /proc/stat): beside a ratio of two
    runs it says whether the second could have been faster at all."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    def busy(self) -> float:
        total, idle = self._read()
        spent = total - self._start[0]
        return 0.0 if spent <= 0 else 1 - (idle - self._start[1]) / spent


def run(database_url: str, *, clients: int = 50, seconds: int = 60, workers: int = 1) -> BenchResult:
    """Closed loop: `clients` clients each sending the next request when the last one answered."""
    with serving(database_url, workers) as srv:
        cpu = CpuMeter()
        ours = _drive(srv.bases, srv.token, clients, seconds, create=True, streets=srv.streets)
        busy = cpu.busy()
        baseline = _drive(srv.bases, srv.token, clients, max(2, seconds // 4), create=False, streets=srv.streets)
    errors = sum(ours.errors.values())
    return BenchResult(
        name=f"http: single-event create, closed loop, {workers} process(es), {_backend(database_url)}",
        what=(
            f"POST /api/events, {clients} clients × {ours.seconds:.0f} s on loopback, {workers} server process(es) "
            "(each on its own port, the clients spread over them); "
            f"p50 {ours.pct(0.5):.1f} ms, p99 {ours.pct(0.99):.1f} ms, {len(ours.latencies_ms):,} created, "
            f"{errors} errors {ours.errors or ''}; the machine's CPUs {busy:.0%} busy (server, database and clients)"
        ),
        ours=ours.rate,
        baseline=baseline.rate,
        unit="requests/s",
        baseline_what=(
            f"GET /api/health by the same clients ({baseline.seconds:.0f} s): p50 {baseline.pct(0.5):.1f} ms, "
            f"p99 {baseline.pct(0.99):.1f} ms"
        ),
        target="PostgreSQL: 2 processes ≥ 1.5× the creates/s of 1 process in the same run",
        notes=f"{errors} errors",
    )


TABLE_EVENTS = 100_000  # about a week of Chongqing's grassroots matters (4.9 million a year)


def run_open(
    database_url: str,
    *,
    create_rate: float = 100,
    read_rate: float = 100,
    seconds: int = 30,
    workers: int = 1,
    warmup: int = 5,
    table_events: int = TABLE_EVENTS,
) -> BenchResult:
    """Open loop at a fixed offered rate of creates and reads; the baseline is /api/health at the same rate.
    The first `warmup` seconds after the servers start are offered the same load but reported apart: a fresh
    process (and each fresh PostgreSQL session) does about twice the work per request until its caches fill,
    which is the figure after a restart, not the one traffic sees for the rest of the day. The reads run
    against a table of at least `table_events` events (a fresh table would make every list cheap)."""
    from cityops.bench import http_open

    with serving(database_url, workers, seed_events=50, table_events=table_events) as srv:

        def offer(health_only: bool) -> tuple[http_open.Mix, http_open.Mix]:
            return http_open.drive(
                srv.bases,
                srv.token,
                create_rate=create_rate,
                read_rate=read_rate,
                seconds=seconds,
                streets=srv.streets,
                event_ids=srv.event_ids,
                health_only=health_only,
                warmup=warmup,
            )

        cpu = CpuMeter()
        ours, cold = offer(False)
        busy = cpu.busy()
        base, _ = offer(True)
    everything, health = ours.all, base.all
    errors = sum(everything.errors.values()) + sum(cold.all.errors.values())
    p99 = everything.pct(0.99)
    warm_up = (
        f"; the first {warmup} s after the start, offered the same and counted apart: {http_open.describe(cold)}"
        if warmup
        else ""
    )
    return BenchResult(
        name=f"http: open loop {create_rate:g} creates/s + {read_rate:g} reads/s, {workers} process(es), "
        f"{_backend(database_url)}",
        what=(
            f"{seconds} s offered on loopback after {warmup} s of warm-up, against a table of ≥ {table_events:,} "
            f"events; {http_open.describe(ours)}; "
            f"the machine's CPUs {busy:.0%} busy{warm_up}"
        ),
        ours=p99,
        baseline=health.pct(0.99),
        unit="ms p99 (lower is better)",
        baseline_what=f"GET /api/health offered at the same total rate: {http_open.describe(base)}",
        target="p99 < 50 ms, 0 errors",
        notes=f"p99 {'met' if p99 < 50 and not errors else 'NOT met'}: {p99:.1f} ms, {errors} errors "
        "(the warm-up's counted too)",
    )
