"""The demo's grid workers: over a simulated working day they patrol, check in (some outside their grid),
report with photos, fix things on the spot and fill 一表通 facts, and the street's grid KPIs and runway rows
move."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.auth import User
from cityops.core.db import session_scope
from cityops.core.files import Attachment, LocalFileStore
from cityops.demo.users import ensure_demo_users
from cityops.events.calendar import CST
from cityops.grid import figures, kpis
from cityops.grid.models import GridReport, PatrolCheckIn, PatrolPlan, PatrolSession
from cityops.indicators.models import Indicator
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
            # The README's login for a person (jfb_grid) has grids and plans, but no patrol the simulation ran.
            person = s.scalars(select(User.id).where(User.username == "jfb_grid")).one()
            assert s.scalar(select(func.count(PatrolSession.id)).where(PatrolSession.user_id == person)) == 0
            assert (s.scalar(select(func.count(PatrolPlan.id))) or 0) >= 8
            # The same figures are the street's runway rows, and the demo 一表通 figure counts today's visits.
            rows = {i.code: i for i in s.scalars(select(Indicator).where(Indicator.source.is_not(None)))}
            month = kpis.compute(s, system_actor("system:test"), street, day - timedelta(days=29), day)
            on_spot = figures.grid_values(s, rows["grid_on_spot_rate"], [street], day - timedelta(days=29), day)
            assert on_spot[street.id] == month.on_spot_rate
            visits = next(i for i in rows.values() if i.name == "今日走访独居老人数（演示）")
            assert sim.one_form is not None and sim.one_form.filled >= 1
            assert (figures.form_values(s, visits, [street], day, day)[street.id] or 0) >= 1
    finally:
        clock.set_source(None)
