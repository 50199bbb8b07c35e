"""The register's runway figures per unit against a hand count: counts by level, overdue inspections,
open 重大隐患 and the rectification rate, for a street, its district, and another street."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.indicators import service as indicators
from cityops.indicators.models import Indicator, IndicatorValue
from cityops.risks import inspections
from tests.factories import Login, login, unit
from tests.risks.conftest import DISTRICT, OTHER_STREET, STREET, new_point
from tests.risks.test_hazards import PLAN, act


def test_figures_match_a_hand_count(
    street_duty: Login,
    district_duty: Login,
    client: TestClient,
    session: Session,
    factory: sessionmaker[Session],
    frozen: clock.FrozenClock,
) -> None:
    other = login(client, factory, "rk_fig_other", [Role.dispatcher, Role.leader], unit_code=OTHER_STREET)
    cells = [(5, 5), (4, 5), (3, 4), (2, 2), (1, 3)]  # 重大 ×2, 较大, 低 ×2 in the street
    made = [
        new_point(client, street_duty, session, name=f"点{i}", likelihood=lk, consequence=cq, cycle_days=3)
        for i, (lk, cq) in enumerate(cells)
    ]
    new_point(
        client,
        other,
        session,
        name="七星岗点",
        unit_id=unit(session, OTHER_STREET).id,
        likelihood=3,
        consequence=3,
        cycle_days=30,
    )
    # One street inspection is done on Monday; the other four are missed.
    first = client.get(
        "/api/risks/inspections", headers=street_duty.headers, params={"point_id": made[0]["id"]}
    ).json()["items"][0]
    ok = client.post(
        f"/api/risks/inspections/{first['id']}/result", headers=street_duty.headers, json={"checks": [{"ok": True}] * 5}
    )
    assert ok.status_code == 200
    # Hazards: two major (one closed through the whole loop), one general fixed on the spot, one general open.
    hz = [
        client.post(
            "/api/risks/hazards", headers=street_duty.headers, json={"point_id": made[0]["id"], "title": t, "grade": g}
        ).json()
        for t, g in (("裂缝", "major"), ("落石", "major"), ("标牌", "general"), ("杂物", "general"))
    ]
    client.put(f"/api/risks/hazards/{hz[0]['id']}/plan", headers=street_duty.headers, json=PLAN)
    act(client, street_duty, hz[0]["id"], "start")
    act(client, street_duty, hz[0]["id"], "request_acceptance")
    act(client, district_duty, hz[0]["id"], "supervise")
    client.post(
        f"/api/risks/hazards/{hz[0]['id']}/reinspections",
        headers=district_duty.headers,
        json={"passed": True, "note": "合格"},
    )
    assert act(client, district_duty, hz[0]["id"], "accept").json()["status"] == "closed"
    act(client, street_duty, hz[2]["id"], "fix_on_spot")
    frozen.at = datetime.fromisoformat("2026-03-05T09:31:00+00:00")
    with session_scope(factory) as s:
        # 3 days after Monday 10:00 is Thursday, due 17:30 CST: the four missed ones, and point 0's next one
        # (scheduled when its first was done on Monday) fall due together.
        assert inspections.sweep(s, clock.now()) == 5
    street = client.get("/api/risks/figures", headers=street_duty.headers).json()
    assert street["by_level"] == {"major": 2, "significant": 1, "general": 0, "low": 2}
    assert street["overdue_inspections"] == 5 and street["open_major_hazards"] == 1
    assert (street["found_this_year"], street["closed_this_year"], street["rectification_rate"]) == (4, 2, 0.5)
    district = client.get(
        "/api/risks/figures", headers=district_duty.headers, params={"unit_id": unit(session, DISTRICT).id}
    ).json()
    assert district["points"] == 6 and district["by_level"]["general"] == 1 and district["overdue_inspections"] == 5
    other = login(client, factory, "rk_fig_other2", [Role.dispatcher], unit_code=OTHER_STREET)  # a fresh session
    mine = client.get("/api/risks/figures", headers=other.headers).json()
    assert mine["points"] == 1 and mine["overdue_inspections"] == 0 and mine["rectification_rate"] is None
    assert (
        client.get(
            "/api/risks/figures", headers=other.headers, params={"unit_id": unit(session, STREET).id}
        ).status_code
        == 404
    )
    # The runway computes the same figures, per street, and the overdue KPI turns red.
    with session_scope(factory) as s:
        indicators.compute(s, clock.now())
    with session_scope(factory) as s:
        values = {
            code: v
            for code, v in s.execute(
                select(Indicator.code, IndicatorValue)
                .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
                .where(IndicatorValue.unit_id == unit(s, STREET).id, Indicator.code.like("risk_%"))
            )
        }
        assert values["risk_points_major"].value == 2 and values["risk_points_low"].value == 2
        assert values["risk_overdue_inspections"].value == 5 and values["risk_overdue_inspections"].status == "red"
        assert values["risk_open_major_hazards"].value == 1 and values["risk_rectification_rate"].value == 0.5
        assert values["risk_rectification_rate"].period_key == "2026"
