"""The demo register: a few hundred points marked as demo data in real streets, inspections falling due
(some late, escalated by the first sweep), a 重大隐患 midway through rectification, and a storm on a linked
displacement meter re-levelling its rock point."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import session_scope
from cityops.org import geo
from cityops.risks import inspections, signals
from cityops.risks.models import Hazard, Inspection, RiskPoint, RiskPointDevice
from cityops.sensing import ingest
from cityops.sensing.models import Device
from cityops.sim.live import Simulation
from cityops.sim.risks import seed_register
from tests.plans.conftest import drain


def test_the_demo_register(factory: sessionmaker[Session], frozen: clock.FrozenClock) -> None:
    Simulation(factory).setup()
    assert seed_register(factory) == 0  # once
    with session_scope(factory) as s:
        demo = s.scalars(select(RiskPoint)).all()
        assert len(demo) == 300 and all(p.is_demo and p.name.startswith("【演示】") for p in demo)
        assert len({p.unit_id for p in demo}) > 100
        assert {p.level for p in demo} == {"major", "significant", "general", "low"}
        # Each point is drawn inside its own street's district (a 渝中区 point is not on a 万州区 meter).
        assert all(p.lon is not None and p.lat is not None for p in demo)
        drawn = geo.districts_for_points(geo.index(s), [p.lon or 0.0 for p in demo], [p.lat or 0.0 for p in demo])
        assert drawn == [int(p.unit_path.strip("/").split("/")[1]) for p in demo]
        linked = s.execute(
            select(RiskPointDevice.point_id, Device.code).join(Device, Device.id == RiskPointDevice.device_id)
        ).all()
        assert linked and all(code.startswith("DEMO-rock_displacement-") for _, code in linked)
        # The demo's devices are named as staff read them (an alarm's title): demo, street, type, number.
        named = s.scalars(select(Device.name).where(Device.code.like("DEMO-rock_displacement-%"))).all()
        assert named and all(re.fullmatch(r"【演示】\w+(街道|镇|乡)\w*\d{3}", n) for n in named), named[:3]
        assert not any(re.search(r"[a-z_]{4,}", n) for n in named)
        week = clock.now() + timedelta(days=7)
        due_soon = s.scalar(select(func.count()).select_from(Inspection).where(Inspection.due_at <= week))
        assert due_soon and due_soon > 50
        late = inspections.sweep(s, clock.now())
        assert 0 < late < 40
        assert {(h.grade, h.status) for h in s.scalars(select(Hazard))} == {
            ("major", "acceptance"),
            ("general", "closed"),
        }
        point_id, meter = linked[0]
    with session_scope(factory) as s:
        result = ingest.ingest(s, [(1, {"device": meter, "value": 33.0})], source="test")
        assert result.accepted == 1
    drain(factory)
    with session_scope(factory) as s:
        point = s.get(RiskPoint, point_id)
        assert point is not None and point.likelihood == 5 and point.level in ("major", "significant")
        assert signals.unanswered_alarms(s) == []
