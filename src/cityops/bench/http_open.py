"""Open-loop load, the way real traffic arrives: requests are sent at a fixed offered rate whatever the
server's speed, and each latency is counted from the moment the request was due (so a server that falls
behind shows its queueing instead of hiding it, the "coordinated omission" of closed-loop clients).

The mix is creates (`POST /api/events`) and reads: the cockpit summary (`/api/metrics`), an event list
page and an event page. The same-run baseline is `GET /api/health` offered at the same total rate.
"""

from __future__ import annotations

import http.client
import json
import queue
import random
import threading
import time
from dataclasses import dataclass, field

from cityops.bench.http import CATEGORIES, Load

READS = ("/api/metrics", "/api/events?limit=20", "event")


@dataclass
class Mix:
    loads: dict[str, Load] = field(default_factory=dict)
    seconds: float = 0.0

    def load(self, kind: str) -> Load:
        return self.loads.setdefault(kind, Load())

    @property
    def all(self) -> Load:
        merged = Load(seconds=self.seconds)
        for part in self.loads.values():
            merged.latencies_ms.extend(part.latencies_ms)
            for k, v in part.errors.items():
                merged.errors[k] = merged.errors.get(k, 0) + v
        return merged


def _schedule(create_rate: float, read_rate: float, seconds: float, seed: int = 7) -> list[tuple[float, str]]:
    """Poisson arrivals of each kind over `seconds`, as (offset from start, kind), in time order."""
    rng = random.Random(seed)
    out: list[tuple[float, str]] = []
    for rate, kinds in ((create_rate, ("create",)), (read_rate, READS)):
        t = 0.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= seconds:
                break
            out.append((t, rng.choice(kinds)))
    return sorted(out)


def _send(
    conn: http.client.HTTPConnection,
    kind: str,
    n: int,
    rng: random.Random,
    headers: dict[str, str],
    streets: list[str],
    event_ids: list[int],
) -> int:
    """One request of `kind` (health, create, event, or a path to read); its HTTP status."""
    if kind == "health":
        conn.request("GET", "/api/health", headers=headers)
    elif kind == "create":
        body = {
            "category": rng.choice(CATEGORIES),
            "description": f"开环压测 第{n}条：路面问题",
            "unit_code": rng.choice(streets),
            "source": "grid_worker",
        }
        conn.request("POST", "/api/events", body=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
    elif kind == "event":
        conn.request("GET", f"/api/events/{rng.choice(event_ids)}", headers=headers)
    else:
        conn.request("GET", kind, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def drive(
    bases: list[str],
    token: str,
    *,
    create_rate: float,
    read_rate: float,
    seconds: float,
    streets: list[str],
    event_ids: list[int],
    health_only: bool = False,
    warmup: float = 0.0,
    pool: int = 64,
) -> tuple[Mix, Mix]:
    """Send the schedule through `pool` workers with a keep-alive connection to each server process, taking
    the processes in turn as nginx's upstream does; a request waits for a free worker when all are busy,
    and that wait counts in its latency. The first `warmup` seconds of the schedule are offered like the
    rest but counted apart: (the measured mix, the warm-up's mix)."""
    mix, cold = Mix(), Mix()
    lock = threading.Lock()
    addresses = [b.removeprefix("http://").split(":") for b in bases]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    due: queue.Queue[tuple[float, str] | None] = queue.Queue()

    def request(conn: http.client.HTTPConnection, kind: str, n: int, rng: random.Random) -> int:
        return _send(conn, "health" if health_only else kind, n, rng, headers, streets, event_ids)

    def connect(address: list[str]) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(address[0], int(address[1]), timeout=30)

    def worker(n: int) -> None:
        rng = random.Random(n)
        conns = [connect(a) for a in addresses]
        i = 0
        while (item := due.get()) is not None:
            at, kind = item
            i += 1
            key = "health" if health_only else kind
            j = (n + i) % len(conns)
            try:
                status = request(conns[j], kind, n * 1_000_000 + i, rng)
                ok, reason = status < 300, str(status)
            except (OSError, http.client.HTTPException) as exc:
                ok, reason = False, type(exc).__name__
                conns[j].close()
                conns[j] = connect(addresses[j])
            elapsed_ms = (time.perf_counter() - at) * 1000
            with lock:
                part = (cold if at - start < warmup else mix).load(key)
                if ok:
                    part.latencies_ms.append(elapsed_ms)
                else:
                    part.errors[reason] = part.errors.get(reason, 0) + 1
        for conn in conns:
            conn.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(pool)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    for offset, kind in _schedule(create_rate, read_rate, warmup + seconds):
        wait = start + offset - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        due.put((start + offset, kind))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join(60)
    cold.seconds = min(warmup, time.perf_counter() - start)
    mix.seconds = time.perf_counter() - start - cold.seconds
    for measured in (mix, cold):
        for part in measured.loads.values():
            part.seconds = measured.seconds
    return mix, cold


def describe(mix: Mix) -> str:
    parts = []
    for kind, part in sorted(mix.loads.items()):
        errors = sum(part.errors.values())
        parts.append(
            f"{kind}: {len(part.latencies_ms):,} ok, p50 {part.pct(0.5):.1f} / p95 {part.pct(0.95):.1f} / "
            f"p99 {part.pct(0.99):.1f} ms, {errors} errors"
        )
    return "; ".join(parts)
