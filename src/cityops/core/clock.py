"""The one source of time: aware UTC datetimes, freezable in tests and acceleratable by the simulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    return _source() if _source is not None else datetime.now(UTC)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the time source (tests freeze it; the simulator accelerates it); None restores real time."""
    global _source
    _source = source


class FrozenClock:
    """A clock that stands still until moved: `clock.freeze(t)` then `frozen.advance(minutes=5)`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)
        return self.at


def freeze(at: datetime) -> FrozenClock:
    frozen = FrozenClock(at)
    set_source(frozen)
    return frozen


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (as SQLite returns them) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AcceleratedClock:
    """Simulated time running `speed` times faster than real time (the demo: 1 simulated hour per minute)."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        import time

        self.speed = speed
        self.start_sim = (start or datetime.now(UTC)).astimezone(UTC)
        self._start_real = time.monotonic()

    def __call__(self) -> datetime:
        import time
        from datetime import timedelta

        return self.start_sim + timedelta(seconds=(time.monotonic() - self._start_real) * self.speed)
