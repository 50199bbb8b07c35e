"""The living demo city: citizens and grid workers report, staff act with realistic delays (some too
slowly, so deadlines pass and escalate), sensors stream with a rainstorm now and then, citizens rate.

Everything goes through the real services on the (accelerated) clock; nothing is written around them.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Actor, Role
from cityops.core.db import session_scope
from cityops.core.errors import CityOpsError
from cityops.core.files import FileStore
from cityops.events import catalogue
from cityops.events import service as events
from cityops.events.calendar import CST
from cityops.events.intake import intake_many
from cityops.events.models import Event
from cityops.org.models import OrgLevel, OrgUnit
from cityops.sensing import ingest
from cityops.sensing import service as sensing
from cityops.sensing.models import Device, DeviceType
from cityops.sim.grid import GridPatrols
from cityops.sim.places import Place, Reporter, district_shapes, load_places, point_in
from cityops.sim.texts import DAILY_RHYTHM

log = logging.getLogger("cityops.sim")
REPORTS_PER_HOUR_CHONGQING = 4_900_000 / 365 / 24  # the reports' "4.9 million grassroots matters" in 2024
STAFF = Actor(user_id=None, username="system:值班员（模拟）", roles=frozenset(Role), unit_path="/")
FLOW = ("accept", "dispatch", "sign", "start", "report", "verify", "close", "rate")
SENSOR_TYPES = (
    ("rock_displacement", 30, ("500101", "500237", "500236", "500103", "500154")),
    ("gas_pressure", 40, ("500103", "500105", "500106", "500107", "500108", "500112")),
    ("water_pressure", 30, ("500103", "500105", "500112", "500113")),
    ("highrise_fire", 30, ("500103", "500105", "500112")),
    ("rainfall", 20, ("500103", "500105", "500106", "500112", "500101", "500102")),
    ("river_level", 15, ("500103", "500105", "500101", "500102", "500116")),
)
BASELINE = {
    "rock_displacement": 1.5,
    "gas_pressure": 3.0,
    "water_pressure": 0.35,
    "highrise_fire": 24.0,
    "rainfall": 0.5,
    "river_level": 163.0,
}
NOISE = {
    "rock_displacement": 0.05,
    "gas_pressure": 0.03,
    "water_pressure": 0.005,
    "highrise_fire": 0.3,
    "rainfall": 0.2,
    "river_level": 0.02,
}


@dataclass(order=True)
class Step:
    due: datetime
    event_id: int = field(compare=False)
    action: str = field(compare=False)


@dataclass
class SimStats:
    reports: int = 0
    actions: int = 0
    readings: int = 0
    skipped: int = 0


class Simulation:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        scale: float = 0.05,
        seed: int = 2026,
        storm_every_hours: float = 8.0,
        file_store: FileStore | None = None,
    ) -> None:
        self.factory, self.scale, self.rng = factory, scale, random.Random(seed)
        # Grid workers patrol and report with photos when there is somewhere to keep the photos.
        self.grid = GridPatrols(file_store, random.Random(seed + 1)) if file_store is not None else None
        self.storm_every = timedelta(hours=storm_every_hours)
        self.queue: list[Step] = []
        self.stats = SimStats()
        self.places: list[Place] = []
        self.shapes: dict[str, Any] = {}
        self.reporter = Reporter(self.rng, [], [], grid_share=0.25)
        self.grids: list[str] = []
        self.fleet: list[tuple[str, str]] = []
        self.started: datetime | None = None
        self.last: datetime | None = None
        self.carry = 0.0
        self.muck: Any = None  # the demo muck trucks (sim.apps.MuckFleet), after setup

    # -- set-up --------------------------------------------------------------------------------------
    def setup(self) -> None:
        with session_scope(self.factory) as s:
            self.places = load_places(s, self.rng)
            self.grids = list(
                s.scalars(
                    select(OrgUnit.code).where(OrgUnit.level == OrgLevel.grid, OrgUnit.code.like("500103%")).limit(200)
                )
            )
            self.shapes = district_shapes(s)
            self.reporter = Reporter(self.rng, self.places, self.grids, grid_share=0.25, shapes=self.shapes)
            self.fleet = self._register_fleet(s)
            if self.grid is not None:
                self.grid.setup(s)
        from cityops.sim.risks import seed_register

        seed_register(self.factory)  # the demo 风险清单, its rock points linked to the meters just registered
        from cityops.sim.apps import MuckFleet

        self.muck = MuckFleet(random.Random(7))  # its own generator: the city's random sequence stays as it was
        self.muck.setup(self.factory)  # demo muck trucks: their GPS goes through the sensing ingest

    def _register_fleet(self, s: Session) -> list[tuple[str, str]]:
        streets: dict[str, list[tuple[str, float | None, float | None]]] = {}
        for code, lon, lat in s.execute(
            select(OrgUnit.code, OrgUnit.lon, OrgUnit.lat).where(OrgUnit.level == OrgLevel.street)
        ):
            streets.setdefault(str(code)[:6], []).append((str(code), lon, lat))
        names = {str(c): str(n) for c, n in s.execute(select(OrgUnit.code, OrgUnit.name))}
        type_names = {str(c): str(n) for c, n in s.execute(select(DeviceType.code, DeviceType.name))}
        rows, fleet = [], []
        for kind, count, districts in SENSOR_TYPES:
            for i in range(count):
                district = districts[i % len(districts)]
                street = self.rng.choice(streets[district])[0]
                fix = point_in(self.rng, self.shapes[names[district]]) if names.get(district) in self.shapes else None
                lon, lat = fix or (106.55, 29.56)
                code = f"DEMO-{kind}-{i:03d}"
                fleet.append((code, kind))
                rows.append(
                    {
                        "code": code,
                        "type": kind,
                        # Named as staff read it (an alarm's title is its type and the device's name).
                        "name": f"【演示】{names.get(street, '')}{type_names.get(kind, kind)}{i + 1:03d}",
                        "unit_code": street,
                        "lon": lon,  # demo devices: a point inside their district
                        "lat": lat,
                    }
                )
        existing = set(s.scalars(select(Device.code)))
        _, errors = sensing.register(s, STAFF, [r for r in rows if r["code"] not in existing])
        if errors:
            log.warning("demo devices not registered: %s", errors[:3])
        return fleet

    # -- the loop --------------------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event, *, tick_seconds: float = 1.0) -> None:
        self.setup()
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the demo keeps going whatever happens in one tick
                log.exception("simulation tick failed")
            stop.wait(tick_seconds)

    @staticmethod
    def start_time(now: datetime) -> datetime:
        """Simulated days start at 08:30 China time, when the city wakes up and reports start coming in."""
        local = now.astimezone(CST)
        return local.replace(hour=8, minute=30, second=0, microsecond=0)

    def tick(self) -> None:
        now = clock.now()
        self.started = self.started or now
        last, self.last = self.last or now - timedelta(minutes=1), now
        hours = max(0.0, (now - last).total_seconds() / 3600)
        with session_scope(self.factory) as s:
            self._report(s, now, hours)
        with session_scope(self.factory) as s:
            self._act(s, now)
        with session_scope(self.factory) as s:
            self._sense(s, now)
        if self.grid is not None:
            with session_scope(self.factory) as s:
                self.grid.tick(s, now)

    def _report(self, s: Session, now: datetime, hours: float) -> None:
        rhythm = DAILY_RHYTHM[now.astimezone(CST).hour]
        expected = REPORTS_PER_HOUR_CHONGQING * self.scale * rhythm * hours + self.carry
        count = int(expected)
        self.carry = expected - count
        if count <= 0 or not self.places:
            return
        cats = [c for c in catalogue.view(s).by_code.values() if not c.required_fields]
        items = [self.reporter.item(self.rng.choice(cats)) for _ in range(count)]
        for result in intake_many(s, STAFF, items):
            if result.event_id is not None and result.created:
                self._schedule(result.event_id, "accept", now)
                self.stats.reports += 1

    def _delay(self, action: str) -> timedelta:
        r = self.rng.random()
        minutes = {
            "accept": self.rng.uniform(2, 40),
            "dispatch": self.rng.uniform(1, 15),
            "sign": self.rng.uniform(5, 90) if r > 0.2 else self.rng.uniform(180, 600),  # some sign too late
            "start": self.rng.uniform(5, 40),
            "report": self.rng.lognormvariate(math.log(240), 0.9),
            "verify": self.rng.uniform(10, 90),
            "close": self.rng.uniform(5, 30),
            "rate": self.rng.uniform(30, 600),
        }[action]
        return timedelta(minutes=minutes)

    def _schedule(self, event_id: int, action: str, now: datetime) -> None:
        heapq.heappush(self.queue, Step(now + self._delay(action), event_id, action))

    def _act(self, s: Session, now: datetime) -> None:
        done = 0
        while self.queue and self.queue[0].due <= now and done < 400:
            step = heapq.heappop(self.queue)
            done += 1
            try:
                with s.begin_nested():
                    event = s.get(Event, step.event_id)
                    if event is None:
                        continue
                    self._apply(s, event, step.action, now)
                self.stats.actions += 1
            except CityOpsError:
                self.stats.skipped += 1  # a person got there first, or the state moved on

    def _apply(self, s: Session, event: Event, action: str, now: datetime) -> None:
        body = events.ActionInput()
        if action == "rate":
            roll = self.rng.random()
            body.rating = "satisfied" if roll < 0.82 else "basically_satisfied" if roll < 0.94 else "unsatisfied"
            events.act(s, STAFF, event, "rate", body)
            return
        if action == "dispatch" and self.rng.random() < 0.04 and event.return_count == 0:
            events.act(s, STAFF, event, "dispatch", body)
            events.act(s, STAFF, event, "return", events.ActionInput(note="经核实不属于本单位职责，请重新派遣"))
            self._schedule(event.id, "dispatch", now)
            return
        if action == "report":
            body.note = "已到现场处置完毕"
        events.act(s, STAFF, event, action, body)
        following = FLOW[FLOW.index(action) + 1] if action != "rate" else None
        if following:
            self._schedule(event.id, following, now)

    def _storm_level(self, now: datetime) -> float:
        """0 … 1: a rainstorm rises and falls for three hours, every `storm_every` hours."""
        assert self.started is not None
        into = (now - self.started - timedelta(minutes=5)) % self.storm_every
        hours = into.total_seconds() / 3600
        return math.sin(math.pi * hours / 3) if 0 <= hours <= 3 else 0.0

    def _sense(self, s: Session, now: datetime) -> None:
        storm = self._storm_level(now)
        items: list[tuple[int, dict[str, Any]]] = []
        for n, (code, kind) in enumerate(self.fleet, start=1):
            value = max(0.0, BASELINE[kind] + self.rng.uniform(-NOISE[kind], NOISE[kind]))
            stormy = int(code[-3:]) % 5 == 0  # one device in five is where the storm hits
            if kind == "rainfall":
                value += storm * (70 if stormy else 25)
            elif kind == "river_level" and stormy:
                value += storm * 17
            elif kind == "rock_displacement" and stormy:
                value += storm * 30
            items.append((n, {"device": code, "ts": now.isoformat(), "value": round(value, 3)}))
        if self.muck is not None:  # the demo muck trucks' GPS fixes, in the same batch
            items += [(len(items) + n, obj) for n, obj in self.muck.readings(now)]
        result = ingest.ingest(s, items, source="sim")
        self.stats.readings += result.accepted
