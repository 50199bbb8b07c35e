"""A per-process cache of a value built from the database, rebuilt when a cheap signature changes.

The signature (row counts, max ids …) is checked at most every `ttl` seconds, so a hot path does not
pay a query per call; changes made in this process call `invalidate()` to be seen at once, changes
made by other processes are seen within `ttl`. A cache may also `watch` models: a session of this
process that writes rows of one drops it at the flush and again at the commit (see `install`), so a
request never reads a value older than a change this process made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
_ALL: list[Any] = []  # everything with an `invalidate()`: VersionedCache and the token cache of core.auth
_WATCHED: list[tuple[tuple[type, ...], Callable[[], None]]] = []
_TOUCHED = "cityops.cache.touched"


class VersionedCache(Generic[T]):
    def __init__(
        self, signature: Callable[[Session], Hashable], build: Callable[[Session, Hashable], T], ttl: float = 2.0
    ) -> None:
        self._signature, self._build, self.ttl = signature, build, ttl
        self._value: T | None = None
        self._sig: Hashable = None
        self._checked = 0.0
        self._lock = threading.Lock()
        _ALL.append(self)

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


def register(cache: Any) -> None:
    """Another per-process cache (anything with `invalidate()`) that `invalidate_all` drops too."""
    _ALL.append(cache)


def watch(models: tuple[type, ...], invalidate: Callable[[], None]) -> None:
    """Call `invalidate` whenever a session of this process flushes, and again commits, rows of `models`
    (ORM changes; bulk UPDATEs bypass the unit of work, so their callers invalidate themselves)."""
    _WATCHED.append((models, invalidate))


def install(factory: sessionmaker[Session]) -> None:
    """Let the sessions of `factory` drop the caches watching what they write."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_commit", _after_commit)


def _after_flush(session: Session, _context: object) -> None:
    changed = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    if not changed:
        return
    for models, invalidate in _WATCHED:
        if any(issubclass(c, models) for c in changed):
            invalidate()
            # Another thread may rebuild from the old committed rows before this commit lands: drop again.
            session.info.setdefault(_TOUCHED, []).append(invalidate)


def _after_commit(session: Session) -> None:
    for invalidate in session.info.pop(_TOUCHED, []):
        invalidate()
