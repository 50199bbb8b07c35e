"""The demo's grid workers: over a simulated working day they patrol, check in (some outside their grid),
report with photos and fix things on the spot, and the street's grid KPIs move."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.core.files import Attachment, LocalFileStore
from cityops.demo.users import ensure_demo_users
from cityops.events.calendar import CST
from cityops.grid import kpis
from cityops.grid.models import GridReport, PatrolCheckIn
from cityops.sim.grid import STREET, GridPatrols
from tests.factories import unit


def test_grid_workers_patrol_report_and_fix_on_the_spot(factory: sessionmaker[Session], tmp_path: Path) -> None:
    fc = clock.freeze(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))  # 08:30 China time
    try:
        sim = GridPatrols(LocalFileStore(tmp_path), random.Random(7))
        with session_scope(factory) as s:
            ensure_demo_users(s, system_actor("system:test"))
            sim.setup(s)
        for _ in range(9 * 60):  # one simulated minute per tick, until 17:30
            fc.advance(minutes=1)
            with session_scope(factory) as s:
                sim.tick(s, clock.now())
        with session_scope(factory) as s:
            assert sim.stats.patrols >= 4 and sim.stats.checkins >= 10 and sim.stats.on_spot >= 1
            assert s.scalar(select(func.count(GridReport.id))) == sim.stats.reports
            assert s.scalar(select(func.count(PatrolCheckIn.id))) == sim.stats.checkins
            assert s.scalar(select(func.count(Attachment.id))) == sim.stats.reports + sim.stats.on_spot
            street = unit(s, STREET)
            day = clock.now().astimezone(CST).date()
            k = kpis.compute(s, system_actor("system:test"), street, day, day)
            assert k.reports == sim.stats.reports and k.on_spot == sim.stats.on_spot and k.workers == 4
            assert k.checkins_flagged >= 1  # some check-ins came from the next community
    finally:
        clock.set_source(None)
