"""Demo data for 根治欠薪 and 渣土治理, every name marked 【演示】 and every row flagged `is_demo`.

Wages: three invented employers (credit codes built with the real GB 32100 check character, not real
companies) with projects in 沙坪坝、九龙坡、渝北 streets, their wage accounts and payments — one account
silent for longer than its period, so the watch raises a 预警 — and a few complaints by the three channels.

Muck: in 沙坪坝区, a construction site and a disposal site (points with a radius inside the district's
outline; no polygon is invented) and three licensed trucks whose GPS fixes go through the sensing ingest
every simulated minute: two shuttle site to site on their corridor; the third makes a stop of 20 minutes
in a field on its first trip (and every eighth trip after), which the muck scan turns into one event."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events.calendar import CST
from cityops.muck import service as muck
from cityops.muck.models import MuckSite, Truck
from cityops.org import service as org
from cityops.sim.places import district_shapes
from cityops.wages import cases
from cityops.wages import service as wages
from cityops.wages.credit import make
from cityops.wages.models import Employer

DEMO = system_actor("system:demo")
EMPLOYERS = (  # (first 17 characters of an invented code, name, registered in, project street, project)
    ("91500106MA60DEM01", "【演示】重庆山城建工集团有限公司", "500106", "500106004", "【演示】磁器口片区安置房二期"),
    ("91500107MA60DEM02", "【演示】重庆九龙路桥工程有限公司", "500107", "500107001", "【演示】杨家坪立交改造工程"),
    ("91500112MA60DEM03", "【演示】重庆两江幕墙装饰有限公司", "500112", "500112001", "【演示】龙溪商务楼幕墙工程"),
)
COMPLAINTS = (  # (employer index, channel, workers, owed yuan, text)
    (0, "hotline", 12, 186_500, "【演示】12345来电：钢筋班组12人被拖欠去年12月以来工资"),
    (0, "grid_worker", 5, 32_000, "【演示】网格员走访：木工班组5人反映工资未结清"),
    (2, "citizen", 3, 18_600, "【演示】市民投诉：幕墙安装工3人被拖欠工资"),
)


def today_in_china() -> date:
    return clock.now().astimezone(CST).date()


def seed_wages_demo(factory: sessionmaker[Session], today: date) -> int:
    """Employers, projects, payments and complaints once (nothing when demo employers exist)."""
    with session_scope(factory) as s:
        if s.scalar(select(Employer.id).where(Employer.is_demo.is_(True)).limit(1)) is not None:
            return 0
        projects = []
        for i, (first17, name, district, street, project) in enumerate(EMPLOYERS):
            unit = org.get_by_code(s, street) or org.get_by_code(s, district)
            home = org.get_by_code(s, district)
            if unit is None or home is None:
                continue
            emp = wages.register_employer(
                s, DEMO, wages.EmployerInput(credit_code=make(first17), name=name, unit_id=home.id, is_demo=True)
            )
            proj = wages.register_project(
                s,
                DEMO,
                wages.ProjectInput(
                    name=project,
                    employer_id=emp.id,
                    unit_id=unit.id,
                    address=f"{unit.name}（演示地址）",
                    account_bank="【演示】某银行支行",
                    account_no=f"DEMO-{i + 1:04d}",
                    account_status="normal",
                    account_opened_on=today - timedelta(days=200),
                    is_demo=True,
                ),
            )
            projects.append(proj)
            # the second project's account has been silent for 40 days: the watch raises a 预警
            for back in (70, 40) if i == 1 else (40, 10):
                month = (today - timedelta(days=back + 20)).strftime("%Y-%m")
                wages.record_payment(
                    s,
                    DEMO,
                    proj,
                    paid_on=today - timedelta(days=back),
                    amount_yuan=86_000 + 1000 * i,
                    workers=20,
                    wage_month=month,
                )
        for idx, channel, workers, owed, text in COMPLAINTS:
            if idx < len(projects):
                item = cases.ComplaintInput(
                    description=text,
                    workers=workers,
                    amount_owed_yuan=owed,
                    channel=channel,
                    project_id=projects[idx].id,
                    is_demo=True,
                )
                cases.file_complaint(s, DEMO, item)
        return len(projects)


class MuckFleet:
    """Three demo trucks in 沙坪坝区 whose positions are a function of the simulated time."""

    DISTRICT = ("500106", "沙坪坝区")
    TRIP_MIN = 65  # one round trip, in simulated minutes

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.trucks: list[tuple[str, str]] = []  # (terminal code, role)
        self.a: tuple[float, float] = (0.0, 0.0)
        self.b: tuple[float, float] = (0.0, 0.0)
        self.field: tuple[float, float] = (0.0, 0.0)
        self.started: datetime | None = None

    def setup(self, factory: sessionmaker[Session]) -> None:
        with session_scope(factory) as s:
            self._places(s)
            if s.scalar(select(MuckSite.id).where(MuckSite.is_demo.is_(True)).limit(1)) is None:
                self._register(s)
            self.trucks = [
                (t.code, "dumper" if t.code.endswith("3") else "shuttle")
                for t in s.scalars(select(Truck).where(Truck.is_demo.is_(True)))
            ]

    def _places(self, s: Session) -> None:
        shape = district_shapes(s).get(self.DISTRICT[1])
        p = shape.representative_point() if shape is not None else Point(106.40, 29.60)
        self.a = (round(p.x, 6), round(p.y, 6))
        for dx, dy in ((0.03, 0.0), (-0.03, 0.0), (0.0, 0.03), (0.0, -0.03)):
            b = (round(p.x + dx, 6), round(p.y + dy, 6))
            mid = ((self.a[0] + b[0]) / 2 - dy / 3, (self.a[1] + b[1]) / 2 + dx / 3)  # ~1 km off the line
            if shape is None or (shape.contains(Point(*b)) and shape.contains(Point(*mid))):
                self.b, self.field = b, (round(mid[0], 6), round(mid[1], 6))
                return
        self.b, self.field = (p.x + 0.01, p.y), (p.x + 0.005, p.y + 0.005)

    def _register(self, s: Session) -> None:
        unit = org.get_by_code(s, self.DISTRICT[0])
        assert unit is not None
        for kind, name, at in (
            ("construction", "【演示】磁器口安置房工地", self.a),
            ("disposal", "【演示】沙坪坝建筑渣土消纳场", self.b),
        ):
            muck.register_site(
                s,
                DEMO,
                muck.SiteInput(kind=kind, name=name, unit_id=unit.id, lon=at[0], lat=at[1], radius_m=250, is_demo=True),
            )
        route = [list(self.a), list(self.b)]
        for i in (1, 2, 3):
            muck.register_truck(
                s,
                DEMO,
                muck.TruckInput(
                    code=f"DEMO-MUCK-{i}",
                    plate=f"渝AD000{i}",
                    unit_id=unit.id,
                    company="【演示】沙坪坝渣土运输有限公司",
                    route=route if i != 3 else None,  # the third has no corridor: its detour shows as the stop
                    route_width_m=400,
                    night_permit_until=date(2099, 12, 31) if i != 3 else None,
                    is_demo=True,
                ),
            )

    def fix(self, role: str, minutes: float, offset: float) -> tuple[float, float, float]:
        """(lon, lat, speed km/h) at `minutes` into the simulation; shuttles drive 20, stand 10, both ways."""
        t = (minutes + offset) % self.TRIP_MIN
        trip = int((minutes + offset) // self.TRIP_MIN)
        if role == "dumper" and trip % 8 == 0:
            legs = [
                (self.a, self.field, 10),
                (self.field, self.field, 20),  # long enough to be seen even when ticks come slowly
                (self.field, self.b, 10),
                (self.b, self.b, 5),
                (self.b, self.a, 20),
            ]
        else:
            legs = [(self.a, self.b, 20), (self.b, self.b, 10), (self.b, self.a, 20), (self.a, self.a, 15)]
        for start, end, length in legs:
            if t < length:
                f = t / length
                moving = start != end
                lon, lat = start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f
                km = math.hypot((end[0] - start[0]) * 96.5, (end[1] - start[1]) * 111.0)
                return lon, lat, round(km / (length / 60) if moving else 0.0, 1)
            t -= length
        return self.a[0], self.a[1], 0.0

    def readings(self, now: datetime) -> list[tuple[int, dict[str, Any]]]:
        self.started = self.started or now
        minutes = (now - self.started).total_seconds() / 60
        out: list[tuple[int, dict[str, Any]]] = []
        for i, (code, role) in enumerate(self.trucks):
            lon, lat, speed = self.fix(role, minutes, offset=0 if role == "dumper" else 15 * i)
            stamp = now.astimezone(CST).isoformat()
            for ch, value in (("lat", lat), ("lon", lon), ("spd", speed)):
                out.append((len(out) + 1, {"device": f"{code}.{ch}", "ts": stamp, "value": round(value, 6)}))
        return out
