"""The headless year simulation, at a small scale: what it reports equals what is stored — events, closures
with their timeline rows, counters — and the audit chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import audit
from cityops.events.models import Event, EventLog
from cityops.sim.headless import YearRun, city_figures


def test_a_few_simulated_days_are_stored_and_counted_consistently(factory: sessionmaker[Session]) -> None:
    end = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    stats = YearRun(factory, scale=0.01, batch=50).run(4, end=end)
    assert stats.received > 400 and stats.rejected == 0
    figures, stored = city_figures(factory, end - timedelta(days=6), end)
    with factory() as s:
        closed = s.scalar(select(func.count()).select_from(Event).where(Event.status == "closed"))
        open_ = s.scalar(select(func.count()).select_from(Event).where(Event.status != "closed"))
        closing_logs = s.scalar(select(func.count()).select_from(EventLog).where(EventLog.action == "close"))
        first = s.scalar(select(func.min(Event.received_at)))
        assert audit.verify(s).ok
    assert stored == stats.received == figures.received
    assert closed == stats.closed == figures.closed == closing_logs
    assert open_ == figures.open and 0 < figures.overdue <= open_
    assert figures.on_time_rate is not None and 0.8 < figures.on_time_rate < 1.0  # the late backlog counts
    assert first is not None and first.replace(tzinfo=UTC) >= end - timedelta(days=5)
