"""Hazards through rectification: 一般隐患 fixed on the spot; 重大隐患 need a plan, 挂牌督办 and a passed
re-inspection before 销号 (409 listing what is missing); a hazard becomes an event, linked both ways."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import Login, login
from tests.risks.conftest import OTHER_STREET, STREET, new_point

PLAN = {
    "measures": "清除危岩体 12 立方米，挂设主动防护网",
    "funds": "区级地灾防治资金 38 万元",
    "unit": "渝中区规划和自然资源局",
    "person": "李工",
    "deadline": "2099-06-30T10:00:00+08:00",
    "interim_measures": "下方步道封闭，设专人值守",
}


def act(client: TestClient, who: Login, hazard_id: int, action: str, note: str = "") -> Any:
    return client.post(f"/api/risks/hazards/{hazard_id}/actions/{action}", headers=who.headers, json={"note": note})


def test_a_general_hazard_is_fixed_on_the_spot(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session]
) -> None:
    grid = login(client, factory, "rk_grid2", [Role.grid_worker], unit_code=STREET)
    p = new_point(client, street_duty, session)
    h = client.post(
        "/api/risks/hazards",
        headers=grid.headers,
        json={"point_id": p["id"], "title": "警示牌倒伏", "grade": "general"},
    )
    assert h.status_code == 201 and h.json()["source"] == "grid_worker"
    assert h.json()["allowed_actions"] == ["fix_on_spot"]
    r = act(client, grid, h.json()["id"], "fix_on_spot", "已扶正加固")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    start = act(client, street_duty, h.json()["id"], "start")
    assert start.status_code == 409


def test_a_major_hazard_cannot_be_closed_without_a_passed_reinspection(
    street_duty: Login, district_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session]
) -> None:
    p = new_point(client, street_duty, session)
    h = client.post(
        "/api/risks/hazards",
        headers=street_duty.headers,
        json={"point_id": p["id"], "title": "危岩体裂缝扩展", "grade": "major"},
    ).json()
    hid = h["id"]
    assert act(client, street_duty, hid, "fix_on_spot").status_code == 409
    no_plan = act(client, street_duty, hid, "start")
    assert no_plan.status_code == 409 and no_plan.json()["code"] == "risk.plan_required"
    partial = client.put(f"/api/risks/hazards/{hid}/plan", headers=street_duty.headers, json={**PLAN, "funds": ""})
    assert partial.status_code == 422
    assert client.put(f"/api/risks/hazards/{hid}/plan", headers=street_duty.headers, json=PLAN).status_code == 200
    assert act(client, street_duty, hid, "start").json()["status"] == "rectifying"
    assert act(client, street_duty, hid, "request_acceptance", "防护网已挂设").json()["status"] == "acceptance"
    early = act(client, district_duty, hid, "accept")
    assert early.status_code == 409 and early.json()["code"] == "risk.close_requirements"
    assert early.json()["data"]["missing"] == ["supervision", "reinspection_passed"]
    assert "挂牌督办" in early.json()["detail"] and "复查合格记录" in early.json()["detail"]
    assert act(client, district_duty, hid, "supervise", "区级挂牌督办").status_code == 200
    assert act(client, district_duty, hid, "supervise").status_code == 409  # once
    failed = client.post(
        f"/api/risks/hazards/{hid}/reinspections",
        headers=district_duty.headers,
        json={"passed": False, "note": "网片未锚固"},
    )
    assert failed.status_code == 201
    still = act(client, district_duty, hid, "accept")
    assert still.status_code == 409 and still.json()["data"]["missing"] == ["reinspection_passed"]
    assert act(client, district_duty, hid, "return", "").status_code == 422  # a return needs its reason
    assert act(client, district_duty, hid, "return", "锚固不到位").json()["status"] == "returned"
    assert act(client, street_duty, hid, "start").json()["status"] == "rectifying"
    assert act(client, street_duty, hid, "request_acceptance").json()["status"] == "acceptance"
    # A re-inspection from before the return does not count for the new request.
    assert act(client, district_duty, hid, "accept").json()["data"]["missing"] == ["reinspection_passed"]
    client.post(
        f"/api/risks/hazards/{hid}/reinspections",
        headers=district_duty.headers,
        json={"passed": True, "note": "锚固合格"},
    )
    done = act(client, district_duty, hid, "accept", "复查合格，销号")
    assert done.status_code == 200 and done.json()["status"] == "closed" and done.json()["closed_at"]
    log = client.get(f"/api/risks/hazards/{hid}", headers=street_duty.headers).json()["log"]
    assert [x["action"] for x in log] == [
        "register",
        "plan",
        "start",
        "request_acceptance",
        "supervise",
        "reinspect",
        "return",
        "start",
        "request_acceptance",
        "reinspect",
        "accept",
    ]
    other = login(client, factory, "rk_other2", [Role.dispatcher, Role.leader], unit_code=OTHER_STREET)
    assert client.get(f"/api/risks/hazards/{hid}", headers=other.headers).status_code == 404
    assert act(client, other, hid, "supervise").status_code == 404
    assert client.get("/api/risks/hazards", headers=other.headers).json()["total"] == 0


def test_a_hazard_becomes_an_event_linked_both_ways(street_duty: Login, client: TestClient, session: Session) -> None:
    p = new_point(client, street_duty, session, category="gas.pipeline", name="较场口燃气干管")
    h = client.post(
        "/api/risks/hazards",
        headers=street_duty.headers,
        json={"point_id": p["id"], "title": "管线上方违章搭建", "grade": "general", "deadline": "2099-01-01T00:00:00Z"},
    ).json()
    r = client.post(
        f"/api/risks/hazards/{h['id']}/event", headers=street_duty.headers, json={"note": "需城管、燃气公司联合处置"}
    )
    assert r.status_code == 201, r.text
    event = client.get(f"/api/events/{r.json()['event_id']}", headers=street_duty.headers).json()
    assert event["category"] == "lifeline.gas_pipeline" and event["attributes"]["risk_hazard"] == h["ref"]
    assert client.get(f"/api/risks/hazards/{h['id']}", headers=street_duty.headers).json()["event_id"] == event["id"]
    assert client.post(f"/api/risks/hazards/{h['id']}/event", headers=street_duty.headers, json={}).status_code == 409
    act(client, street_duty, h["id"], "start")
    timeline = client.get(f"/api/events/{event['id']}", headers=street_duty.headers).json()["timeline"]
    assert any("隐患" in t["note"] and "开始整改" in t["note"] for t in timeline)
