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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from cityops.bench.http import CATEGORIES, Load

READS = ("/api/metrics", "/api/events?limit=20", "event")
# How a request fails on a kept-alive connection the server has already closed (RemoteDisconnected is a
# ConnectionResetError): nothing was answered, so the request may be sent again on a new connection.
STALE = (ConnectionResetError, BrokenPipeError)


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
            merged.retried += part.retried
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


Request = tuple[str, str, bytes | None]  # method, path, body


def _prepare(kind: str, n: int, rng: random.Random, streets: list[str], event_ids: list[int], run: str) -> Request:
    """One request of `kind` (health, create, event, or a path to read), drawn once: sent again after a closed
    connection, it is the same request. A create carries an idempotency key unique to the run and the
    request, so a repeat returns the event the first one made."""
    if kind == "health":
        return "GET", "/api/health", None
    if kind == "create":
        body = {
            "category": rng.choice(CATEGORIES),
            "description": f"开环压测 第{n}条：路面问题",
            "unit_code": rng.choice(streets),
            "source": "grid_worker",
            "idempotency_key": f"open-loop-{run}-{n}",
        }
        return "POST", "/api/events", json.dumps(body, ensure_ascii=False).encode()
    if kind == "event":
        return "GET", f"/api/events/{rng.choice(event_ids)}", None
    return "GET", kind, None


def _send(conn: http.client.HTTPConnection, request: Request, headers: dict[str, str]) -> int:
    method, path, body = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


class _Connections:
    """One client thread's kept-alive connection to each server process."""

    def __init__(self, addresses: list[list[str]]) -> None:
        self.addresses = addresses
        self.conns = [self._open(a) for a in addresses]
        self.used = [False] * len(addresses)

    @staticmethod
    def _open(address: list[str]) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(address[0], int(address[1]), timeout=30)

    def _renew(self, j: int) -> None:
        self.conns[j].close()
        self.conns[j], self.used[j] = self._open(self.addresses[j]), False

    def send(self, j: int, request: Callable[[http.client.HTTPConnection], int]) -> tuple[int | str, bool]:
        """(the HTTP status, or the name of the failure; whether the request was sent a second time)."""
        retried = False
        try:
            try:
                status = request(self.conns[j])
            except STALE:
                if not self.used[j]:
                    raise
                # A kept-alive connection the server closed while it sat idle: open a new one and send again,
                # as HTTP client libraries do (a create's idempotency key makes a repeat harmless).
                self._renew(j)
                status, retried = request(self.conns[j]), True
        except (OSError, http.client.HTTPException) as exc:
            self._renew(j)
            return type(exc).__name__, retried
        self.used[j] = True
        return status, retried

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


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

    run = uuid.uuid4().hex[:12]

    def worker(n: int) -> None:
        rng = random.Random(n)
        conns = _Connections(addresses)
        i = 0
        while (item := due.get()) is not None:
            at, kind = item
            i += 1
            key = "health" if health_only else kind
            request = _prepare(key, n * 1_000_000 + i, rng, streets, event_ids, run)
            status, retried = conns.send((n + i) % len(addresses), partial(_send, request=request, headers=headers))
            elapsed_ms = (time.perf_counter() - at) * 1000
            with lock:
                part = (cold if at - start < warmup else mix).load(key)
                part.retried += retried
                if isinstance(status, int) and status < 300:
                    part.latencies_ms.append(elapsed_ms)
                else:
                    part.errors[str(status)] = part.errors.get(str(status), 0) + 1
        conns.close()

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
            + (f" ({part.retried} sent again on a new connection)" if part.retried else "")
        )
    return "; ".join(parts)
