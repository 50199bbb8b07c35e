"""A per-process cache of a value built from the database, rebuilt when a cheap signature changes.

The signature (row counts, max ids …) is checked at most every `ttl` seconds, so a hot path does not
pay a query per call; changes made in this process call `invalidate()` to be seen at once, changes
made by other processes are seen within `ttl`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
_ALL: list[VersionedCache[object]] = []


class VersionedCache(Generic[T]):
    def __init__(
        self, signature: Callable[[Session], Hashable], build: Callable[[Session, Hashable], T], ttl: float = 2.0
    ) -> None:
        self._signature, self._build, self.ttl = signature, build, ttl
        self._value: T | None = None
        self._sig: Hashable = None
        self._checked = 0.0
        self._lock = threading.Lock()
        _ALL.append(self)  # type: ignore[arg-type]

    def get(self, session: Session) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked < self.ttl:
            return self._value
        sig = self._signature(session)
        with self._lock:
            if self._value is None or sig != self._sig:
                self._value, self._sig = self._build(session, sig), sig
            self._checked = now
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value, self._checked = None, 0.0


def invalidate_all() -> None:
    """Drop every cache in this process (after a change to the org tree, or between tests)."""
    for cache in _ALL:
        cache.invalidate()
