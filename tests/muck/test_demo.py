"""The demo's two applications: the wage demo seeds once (employers, projects, payments, complaints, and the
silent account the watch warns about), and the demo trucks' fixes, sent through the sensing ingest each
simulated minute, give exactly one dumping stop on the first trip and none while they shuttle."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import session_scope
from cityops.muck import detect
from cityops.muck.models import Violation
from cityops.sensing import ingest
from cityops.sim.apps import MuckFleet, seed_wages_demo
from cityops.wages import jobs
from cityops.wages.models import Employer, WageCase


def test_demo_wages_and_trucks(factory: sessionmaker[Session], frozen: clock.FrozenClock) -> None:
    today = datetime(2026, 3, 2, tzinfo=UTC).date()
    assert seed_wages_demo(factory, today) == 3
    assert seed_wages_demo(factory, today) == 0  # once
    with session_scope(factory) as s:
        assert jobs.watch_accounts(s, clock.now()) == 1  # the silent account
        assert s.scalar(select(func.count()).select_from(Employer).where(Employer.is_demo.is_(True))) == 3
        kinds = sorted(s.scalars(select(WageCase.kind)))
        assert kinds == ["complaint", "complaint", "complaint", "warning"]

    fleet = MuckFleet(random.Random(1))
    fleet.setup(factory)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China time: no night rule
    for minute in range(0, 60):
        now = start + timedelta(minutes=minute)
        clock.freeze(now)
        with session_scope(factory) as s:
            result = ingest.ingest(s, fleet.readings(now), source="sim")
            assert not result.rejected, result.rejected[:2]
        if minute % 5 == 4:
            with session_scope(factory) as s:
                detect.scan(s, now)
    with session_scope(factory) as s:
        found = s.execute(select(Violation.kind, func.count()).group_by(Violation.kind)).all()
        assert dict(found) == {"dumping": 1}
