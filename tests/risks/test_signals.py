"""What happens at a point re-levels it: a critical alarm on a linked device raises a reassessment and a
风险提示 (once per alarm); an event of the point's kind close to it raises its likelihood.

`signals.on_alarm` answers `sensing.alarm`: one test calls it with the outbox payload the alarm wrote (and
again, as a redelivery), another lets the worker deliver it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from cityops.risks import signals
from tests.factories import Login, login
from tests.risks.conftest import JIEFANGBEI, STREET, new_point


def _alarm_payloads(factory: sessionmaker[Session]) -> list[dict[str, object]]:
    with session_scope(factory) as s:
        return [dict(m.payload) for m in s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "sensing.alarm"))]


def test_a_critical_alarm_on_a_linked_device_reassesses_and_prompts(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session]
) -> None:
    gateway = login(client, factory, "rk_gateway", [Role.data_admin], unit_code="500000")
    r = client.post(
        "/api/devices",
        headers=gateway.headers,
        json=[
            {
                "code": "RK-ROCK-1",
                "type": "rock_displacement",
                "name": "洪崖洞1号位移计",
                "unit_code": STREET,
                "lon": JIEFANGBEI[0],
                "lat": JIEFANGBEI[1],
            }
        ],
    )
    assert r.status_code == 200, r.text
    p = new_point(client, street_duty, session, likelihood=2, consequence=5, device_codes=["RK-ROCK-1"])
    assert p["level"] == "significant" and len(p["device_ids"]) == 1
    readings = client.post(
        "/api/readings",
        headers={**gateway.headers, "Content-Type": "application/x-ndjson"},
        content=json.dumps({"device": "RK-ROCK-1", "value": 35}).encode(),
    )
    assert readings.status_code == 200, readings.text
    payloads = _alarm_payloads(factory)
    assert payloads and payloads[0]["severity"] == "critical"
    with session_scope(factory) as s:
        assert len(signals.on_alarm(s, payloads[0])) == 1
    with session_scope(factory) as s:
        assert signals.on_alarm(s, payloads[0]) == []  # a redelivered message changes nothing
    detail = client.get(f"/api/risks/points/{p['id']}", headers=street_duty.headers).json()
    assert (detail["likelihood"], detail["level"]) == (5, "major")
    latest = detail["assessments"][0]
    assert latest["trigger"] == "alarm" and latest["previous_level"] == "significant"
    assert "洪崖洞1号位移计" in latest["reasons"] and "2 → 5" in latest["reasons"]
    prompts = client.get("/api/risks/prompts", headers=street_duty.headers).json()
    assert len(prompts) == 1 and prompts[0]["point_id"] == p["id"] and "严重告警" in prompts[0]["text"]
    other = login(client, factory, "rk_other3", [Role.dispatcher], unit_code="500103001")
    assert client.get("/api/risks/prompts", headers=other.headers).json() == []


def test_an_event_of_the_points_kind_nearby_raises_its_likelihood(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session]
) -> None:
    near = new_point(client, street_duty, session, likelihood=2, consequence=4)
    far = new_point(client, street_duty, session, name="远处危岩", likelihood=2, consequence=4, lon=106.60, lat=29.57)
    ev = client.post(
        "/api/events",
        headers=street_duty.headers,
        json={
            "category": "geohazard.rockfall",
            "description": "沧白路边坡落石",
            "source": "department",
            "lon": JIEFANGBEI[0] + 0.0005,
            "lat": JIEFANGBEI[1],
        },
    )
    assert ev.status_code == 201, ev.text
    with session_scope(factory) as s:
        assert len(signals.on_event(s, {"event_id": ev.json()["id"]})) == 1
        assert signals.on_event(s, {"event_id": ev.json()["id"]}) == []
    got = client.get(f"/api/risks/points/{near['id']}", headers=street_duty.headers).json()
    assert got["likelihood"] == 4 and got["assessments"][0]["trigger"] == "event"
    assert got["assessments"][0]["event_id"] == ev.json()["id"]
    assert client.get(f"/api/risks/points/{far['id']}", headers=street_duty.headers).json()["likelihood"] == 2


def test_the_worker_delivers_alarms_on_linked_devices_to_the_register(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session]
) -> None:
    from tests.plans.conftest import drain

    gateway = login(client, factory, "rk_gateway2", [Role.data_admin], unit_code="500000")
    client.post(
        "/api/devices",
        headers=gateway.headers,
        json=[{"code": "RK-ROCK-2", "type": "rock_displacement", "name": "2号位移计", "unit_code": STREET}],
    )
    p = new_point(client, street_duty, session, likelihood=3, consequence=3, device_codes=["RK-ROCK-2"])
    client.post(
        "/api/readings",
        headers={**gateway.headers, "Content-Type": "application/x-ndjson"},
        content=json.dumps({"device": "RK-ROCK-2", "value": 12}).encode(),  # a major alarm
    )
    drain(factory)
    got = client.get(f"/api/risks/points/{p['id']}", headers=street_duty.headers).json()
    assert (got["likelihood"], got["level"], got["assessments"][0]["trigger"]) == (4, "significant", "alarm")
    assert client.get("/api/risks/prompts", headers=street_duty.headers).json() == []  # major: no prompt
    with session_scope(factory) as s:
        assert signals.unanswered_alarms(s) == []
