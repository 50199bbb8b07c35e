"""`cityops simulate`: a year (or any number of days) of grassroots matters at the reports' volume, without
a clock to wait for. Each simulated day's reports go through the real intake service in batches
(validation, location, routing, deadlines, timeline, audit, outbox, counters); at the end of the day the
simulated handlers close most of them with handling times drawn per matter (set-based, through
`events.bulk.close_many`), the rest stay open and the deadline sweep marks the late ones overdue."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import session_scope
from cityops.events import catalogue, deadlines, metrics
from cityops.events.bulk import Closure, close_many
from cityops.events.calendar import CST
from cityops.events.intake import IntakeItem, intake_many
from cityops.events.models import Event
from cityops.org.models import OrgLevel, OrgUnit
from cityops.sim.live import REPORTS_PER_HOUR_CHONGQING, STAFF
from cityops.sim.places import Reporter, district_shapes, load_places
from cityops.sim.texts import DAILY_RHYTHM

PER_DAY_CHONGQING = REPORTS_PER_HOUR_CHONGQING * 24
HANDLED_SAME_DAY = 0.93


@dataclass
class YearStats:
    days: int = 0
    received: int = 0
    closed: int = 0
    rejected: int = 0
    overdue: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0


class YearRun:
    def __init__(self, factory: sessionmaker[Session], *, scale: float = 1.0, seed: int = 2024, batch: int = 5000):
        self.factory, self.scale, self.batch = factory, scale, batch
        self.rng = random.Random(seed)
        self.stats = YearStats()
        self.backlog: list[tuple[int, datetime]] = []

    def run(
        self, days: int, *, end: datetime | None = None, progress: Callable[[int, int], None] | None = None
    ) -> YearStats:
        end_day = (end or clock.now()).astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
        first = end_day - timedelta(days=days)
        with session_scope(self.factory, write=False) as s:
            places = load_places(s, self.rng)
            grid_rows = s.scalars(select(OrgUnit.code).where(OrgUnit.level == OrgLevel.grid).limit(2000))
            grids = [str(c) for c in grid_rows if c]
            cats = [c for c in catalogue.view(s).by_code.values() if not c.required_fields]
            shapes = district_shapes(s)
        self.reporter, self.cats = Reporter(self.rng, places, grids, grid_share=0.3, shapes=shapes), cats
        t0 = time.perf_counter()
        try:
            for d in range(days):
                day = first + timedelta(days=d)
                self._day(day, progress)
                self.stats.days += 1
        finally:
            clock.set_source(None)  # back to real time
        self.stats.seconds = time.perf_counter() - t0
        return self.stats

    def _day(self, day: datetime, progress: Callable[[int, int], None] | None) -> None:
        expected = PER_DAY_CHONGQING * self.scale
        count = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
        rhythm_total = sum(DAILY_RHYTHM)
        times = []
        for hour, weight in enumerate(DAILY_RHYTHM):
            n = round(count * weight / rhythm_total)
            times += [day + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600)) for _ in range(n)]
        times.sort()
        created: list[tuple[int, datetime]] = []
        for lo in range(0, len(times), self.batch):
            chunk = times[lo : lo + self.batch]
            clock.freeze(chunk[-1])
            items = [self._item(at) for at in chunk]
            with session_scope(self.factory) as s:
                results = intake_many(s, STAFF, items)
            for at, r in zip(chunk, results, strict=True):
                if r.event_id is not None and r.created:
                    created.append((r.event_id, at))
                else:
                    self.stats.rejected += 1
            self.stats.received += sum(1 for r in results if r.created)
            if progress:
                progress(len(chunk), count)
        day_end = day + timedelta(days=1)
        clock.freeze(day_end)
        closures = []
        # Yesterday's leftovers: about half are finished today, late (they count against the on-time rate).
        keep = []
        for event_id, at in self.backlog:
            if self.rng.random() < 0.5:
                closures.append(
                    Closure(event_id, day + timedelta(hours=self.rng.uniform(8, 20)), "basically_satisfied")
                )
            else:
                keep.append((event_id, at))
        self.backlog = keep
        for event_id, at in created:
            if self.rng.random() > HANDLED_SAME_DAY:
                self.backlog.append((event_id, at))
                continue
            hours = self.rng.lognormvariate(math.log(5), 0.8)  # most matters in hours, a long tail in days
            roll = self.rng.random()
            rating = (
                None
                if roll < 0.4
                else "satisfied"
                if roll < 0.9
                else "basically_satisfied"
                if roll < 0.97
                else "unsatisfied"
            )
            closures.append(Closure(event_id, min(at + timedelta(hours=hours), day_end), rating))
        for lo in range(0, len(closures), self.batch):
            with session_scope(self.factory) as s:
                self.stats.closed += close_many(
                    s,
                    STAFF,
                    closures[lo : lo + self.batch],
                    note="处置完毕，核查通过，办结（模拟）/ handled and closed (simulated)",
                )
        with session_scope(self.factory) as s:
            self.stats.overdue += deadlines.sweep(s, day_end).overdue

    def _item(self, at: datetime) -> IntakeItem:
        return self.reporter.item(self.rng.choice(self.cats), at)


def city_figures(factory: sessionmaker[Session], since: datetime, until: datetime) -> tuple[metrics.Figures, int]:
    """The city's figures over the period (from the counters) and the number of events stored."""
    with session_scope(factory, write=False) as s:
        city = s.scalars(select(OrgUnit).where(OrgUnit.level == OrgLevel.city)).one()
        stored = s.scalar(select(func.count()).select_from(Event)) or 0
        return metrics.figures(s, [city.id], metrics.local_day(since), metrics.local_day(until))[city.id], int(stored)
