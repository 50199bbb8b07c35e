"""Demo data for the 风险清单: a few hundred risk points in the real streets of the main urban districts,
every one named 【演示】 and flagged `is_demo` (the places are the streets' districts' centres with a random
offset that stays inside the district's outline, like the demo sensors: not surveyed locations). Rock points
are placed beside the demo displacement meters that the rainstorm moves, in the meters' own streets;
inspections fall due over the coming days (a few are already late, so the first sweep escalates them), and
one 重大隐患 is midway through rectification."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps.bundles import install_all
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events.calendar import load_calendar
from cityops.org import geo
from cityops.org.models import OrgLevel, OrgUnit
from cityops.risks import hazards, inspections
from cityops.risks import service as points
from cityops.risks.models import Inspection, RiskCategory, RiskPoint

DEMO = system_actor("system:demo")
DISTRICTS = ("500103", "500105", "500106", "500107", "500108", "500112")  # 渝中 江北 沙坪坝 九龙坡 南岸 渝北
WEIGHTS = {
    "geohazard.rock": 4,
    "geohazard.landslide": 3,
    "gas.pipeline": 4,
    "gas.station": 2,
    "fire.highrise": 5,
    "bridge_tunnel.bridge": 2,
    "bridge_tunnel.tunnel": 1,
    "waterlogging.point": 3,
    "hazchem.enterprise": 1,
    "crowd.venue": 3,
}
MEASURES = "【演示】落实责任人；按周期巡查；设置警示标志；纳入应急预案"


def seed_register(factory: sessionmaker[Session], *, count: int = 300, seed: int = 2026, batch: int = 25) -> int:
    """Create the demo register once (nothing is added when demo points exist), committing every `batch`
    points so the live demo's requests are not held behind one long write."""
    with session_scope(factory) as s:
        if s.scalar(select(RiskPoint.id).where(RiskPoint.is_demo.is_(True)).limit(1)) is not None:
            return 0
        install_all(s, system_actor("system:sim"), ["rockfall", "highrise_fire", "lifeline", "platform"])
        streets = [
            (uid, str(code), name, parent)
            for uid, code, name, parent in s.execute(
                select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.parent_id).where(
                    OrgUnit.level == OrgLevel.street, OrgUnit.valid_to.is_(None)
                )
            )
            if str(code)[:6] in DISTRICTS
        ]
        centres: dict[int, tuple[float, float]] = {
            uid: (lon, lat)
            for uid, lon, lat in s.execute(
                select(OrgUnit.id, OrgUnit.lon, OrgUnit.lat).where(OrgUnit.level == OrgLevel.district)
            )
            if lon is not None and lat is not None
        }
        rocks = _rock_meters(s)
        idx = geo.index(s)
        leaf_names = {
            c.code: c.name for c in s.scalars(select(RiskCategory).where(RiskCategory.parent_id.is_not(None)))
        }
    if not streets:
        return 0
    rng = random.Random(seed)
    codes, weights = list(WEIGHTS), list(WEIGHTS.values())
    ids: list[int] = []
    for start in range(0, count, batch):
        with session_scope(factory) as s:
            made = []
            for i in range(start, min(start + batch, count)):
                street_id, _, street_name, district_id = streets[i % len(streets)]
                code = rng.choices(codes, weights)[0]
                lon, lat = centres.get(district_id or 0) or (106.55, 29.56)
                devices: tuple[str, ...] = ()
                spread = 0.02
                if code == "geohazard.rock" and rocks:  # beside its meter, in the meter's street
                    meter, lon, lat, street_id, street_name, district_id = rocks.pop(0)
                    devices, spread = (meter,), 0.002
                lon, lat = _place_inside(idx, district_id, lon, lat, spread, rng)
                item = points.PointInput(
                    name=f"【演示】{street_name}{leaf_names[code]}{i + 1:03d}",
                    category=code,
                    unit_id=street_id,
                    likelihood=rng.choices([1, 2, 3, 4, 5], [2, 4, 4, 2, 1])[0],
                    consequence=rng.choices([1, 2, 3, 4, 5], [1, 3, 4, 3, 1])[0],
                    address=f"{street_name}（演示数据）",
                    lon=lon,
                    lat=lat,
                    responsible_person="演示责任人",
                    control_measures=MEASURES,
                    device_codes=devices,
                    reasons="演示数据：随机评估 / demo data, random assessment",
                    is_demo=True,
                )
                made.append(points.create_point(s, DEMO, item))
            _fall_due(s, made, rng)
            ids += [p.id for p in made]
    with session_scope(factory) as s:
        _rectification(s, [p for p in (s.get(RiskPoint, i) for i in ids) if p is not None])
    return len(ids)


def _rock_meters(session: Session) -> list[tuple[str, float, float, int, str, int]]:
    """The demo displacement meters the storm moves (every fifth one): (code, lon, lat, and the street,
    its name and its district the meter stands in)."""
    from cityops.sensing.models import Device

    rows = session.execute(
        select(Device.code, Device.lon, Device.lat, Device.unit_path)
        .where(Device.code.like("DEMO-rock_displacement-%"))
        .order_by(Device.code)
    )
    placed = []
    for code, lon, lat, path in rows:
        ids = [int(p) for p in str(path).strip("/").split("/") if p]
        if int(code[-3:]) % 5 == 0 and lon is not None and lat is not None and len(ids) > 2:
            placed.append((code, lon, lat, ids[2], ids[1]))
    names = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_({p[3] for p in placed}))).all())
    return [(code, lon, lat, street, names.get(street, ""), district) for code, lon, lat, street, district in placed]


def _place_inside(
    idx: geo.GeoIndex, district_id: int | None, lon: float, lat: float, spread: float, rng: random.Random
) -> tuple[float, float]:
    """A random place within `spread` degrees of (lon, lat) that lies inside the district's outline (a
    street's point must not be drawn in another district); the place itself when no try lands inside."""
    for _ in range(20):
        x, y = round(lon + rng.uniform(-spread, spread), 6), round(lat + rng.uniform(-spread, spread), 6)
        if district_id is None or geo.districts_for_points(idx, [x], [y])[0] == district_id:
            return x, y
    return round(lon, 6), round(lat, 6)


def _fall_due(session: Session, made: list[RiskPoint], rng: random.Random) -> None:
    """Spread the first inspections over the coming days; one in twenty is already a day late."""
    now, calendar = clock.now(), load_calendar(session)
    for point in made:
        ahead = -1 if rng.random() < 0.05 else rng.randint(0, min(point.cycle_days, 10))
        due = inspections.due_date(now - timedelta(days=point.cycle_days - ahead), point.cycle_days, calendar)
        while ahead < 0 and due > now:  # a late one: its last working-day deadline before now
            ahead -= 1
            due = inspections.due_date(now - timedelta(days=point.cycle_days - ahead), point.cycle_days, calendar)
        session.execute(
            update(Inspection)
            .where(Inspection.point_id == point.id, Inspection.status == "scheduled")
            .values(due_at=due)
            .execution_options(synchronize_session=False)
        )


def _rectification(session: Session, made: list[RiskPoint]) -> None:
    """A 重大隐患 with its plan, under way and waiting for the district's re-inspection; a 一般隐患 fixed."""
    target = next((p for p in made if p.level in ("major", "significant")), made[0])
    now = clock.now()
    major = hazards.register(
        session,
        DEMO,
        target,
        hazards.HazardInput(title="【演示】坡体后缘拉裂缝扩展", grade="major", source="inspection", is_demo=True),
    )
    hazards.set_plan(
        session,
        DEMO,
        major,
        {
            "measures": "【演示】清除危岩体并挂设主动防护网",
            "funds": "【演示】区级地质灾害防治资金",
            "unit": f"{points.unit_name(session, target.unit_id)}（演示）",
            "person": "演示责任人",
            "deadline": now + timedelta(days=20),
            "interim_measures": "【演示】封闭下方通道，专人值守，雨天加密巡查",
        },
    )
    hazards.act(session, DEMO, major, "start")
    hazards.act(session, DEMO, major, "supervise", note="【演示】区级挂牌督办")
    hazards.act(session, DEMO, major, "request_acceptance", note="【演示】防护网已挂设，申请验收")
    small = hazards.register(
        session, DEMO, made[-1], hazards.HazardInput(title="【演示】警示牌倒伏", grade="general", is_demo=True)
    )
    hazards.act(session, DEMO, small, "fix_on_spot", note="【演示】已当场扶正")
