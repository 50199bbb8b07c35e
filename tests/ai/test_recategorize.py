"""改类 through the events workflow: before dispatch only, by the dispatching centre; routed again by the new
category's duty list; the received counter moves to the new category; in the timeline and the audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events import catalogue
from cityops.events.models import EventStat
from tests.ai.conftest import STREET
from tests.factories import login, report, unit


def _received(factory: sessionmaker[Session], code: str) -> int:
    with session_scope(factory) as s:
        cat, street = catalogue.view(s).by_code[code], unit(s, STREET)
        stmt = select(func.sum(EventStat.received)).where(
            EventStat.category_id == cat.id, EventStat.unit_id == street.id
        )
        return int(s.scalar(stmt) or 0)


def test_recategorize_reroutes_and_moves_the_counters(client: TestClient, factory: sessionmaker[Session]) -> None:
    duty = login(client, factory, "ai_rc_duty", [Role.dispatcher], unit_code=STREET)
    ev = report(client, duty.headers, category="city_appearance.street_vending", description="小区门口垃圾三天没人收")
    assert ev["owner_name"].endswith("治理中心")
    before = _received(factory, "city_appearance.exposed_garbage")
    assert _received(factory, "city_appearance.street_vending") == 1
    url = f"/api/events/{ev['id']}/actions/recategorize"
    assert client.post(url, json={}, headers=duty.headers).status_code == 422  # which category?
    same = client.post(url, json={"category": "city_appearance.street_vending"}, headers=duty.headers)
    assert same.status_code == 409
    r = client.post(url, json={"category": "city_appearance.exposed_garbage", "note": "实为垃圾"}, headers=duty.headers)
    assert r.status_code == 200, r.text
    assert r.json()["category"] == "city_appearance.exposed_garbage" and r.json()["status"] == "reported"
    assert _received(factory, "city_appearance.exposed_garbage") == before + 1
    assert _received(factory, "city_appearance.street_vending") == 0
    detail = client.get(f"/api/events/{ev['id']}", headers=duty.headers).json()
    step = next(t for t in detail["timeline"] if t["action"] == "recategorize")
    assert step["data"]["from"] == "city_appearance.street_vending" and step["data"]["to_name"] == "暴露垃圾"
    for action in ("accept", "dispatch"):
        assert client.post(f"/api/events/{ev['id']}/actions/{action}", json={}, headers=duty.headers).status_code == 200
    late = client.post(url, json={"category": "municipal.road_damage"}, headers=duty.headers)
    assert late.status_code == 409  # dispatched: reassign instead
    other = login(client, factory, "ai_rc_other", [Role.dispatcher], unit_code="500103001")
    assert client.post(url, json={"category": "municipal.road_damage"}, headers=other.headers).status_code == 404
