"""Token-bucket rate limits for public endpoints, per client address or API key.

In-process: each API process keeps its own buckets, so N processes allow up to N× the rate. That is
the stated limit of this implementation (docs/operations.md); a shared limiter would live in the database
or a cache.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from cityops.core.errors import TooManyRequests


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute))
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one token for `key` or raise 429 with Retry-After."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = int((1 - bucket.tokens) / self.rate) + 1 if self.rate else 60
                raise TooManyRequests(
                    "请求过于频繁，请稍后再试 / Too many requests; slow down.",
                    retry_after=wait,
                    code="request.rate_limited",
                )
            bucket.tokens -= 1
            if len(self._buckets) > 100_000:  # forget idle clients
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < 600}
