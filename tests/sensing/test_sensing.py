"""Sensing over HTTP: bad readings rejected with reasons, rules with hysteresis, alarms that open one
event, acknowledgement, offline detection, rollups, registration, scoping."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.sensing import jobs as sensing_jobs
from tests.factories import Login, login, unit
from tests.sensing.conftest import register

ROCK = {
    "code": "CQ-RD-0001",
    "type": "rock_displacement",
    "name": "鹅岭危岩1号",
    "unit_code": "500103003",
    "lon": 106.5700,
    "lat": 29.5530,
}


def post(client: TestClient, gateway: Login, *lines: object) -> dict[str, Any]:
    body = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines)
    r = client.post(
        "/api/readings", headers={**gateway.headers, "Content-Type": "application/x-ndjson"}, content=body.encode()
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def at(minutes: float) -> str:
    return (clock.now() + timedelta(minutes=minutes)).isoformat()


def test_bad_readings_are_rejected_by_line_and_reason(client: TestClient, gateway: Login) -> None:
    register(client, gateway, ROCK)
    out = post(
        client,
        gateway,
        {"device": "CQ-RD-0001", "value": 1.0},
        "{not json",
        {"device": "NO-SUCH", "value": 1.0},
        '{"device": "CQ-RD-0001", "value": NaN}',
        {"device": "CQ-RD-0001", "value": "high"},
        {"device": "CQ-RD-0001", "value": 2.0, "ts": at(60)},
        {"device": "CQ-RD-0001", "value": 2.0, "ts": at(-60 * 24 * 30)},
        {"device": "CQ-RD-0001", "value": 9999},
        {"device": "CQ-RD-0001", "value": 1.5, "ts": at(-1)},
    )
    assert out["accepted"] == 2
    assert [(r["line"], r["reason"]) for r in out["rejected"]] == [
        (2, "malformed"),
        (3, "unknown_device"),
        (4, "not_a_number"),
        (5, "wrong_type"),
        (6, "in_future"),
        (7, "too_old"),
        (8, "out_of_range"),
    ]
    stats = client.get("/api/sensing/stats", headers=gateway.headers).json()["ingest"]
    counts = {(c["source"], c["reason"]): c["count"] for c in stats}
    assert counts[("http", "accepted")] == 2 and counts[("http", "unknown_device")] == 1


def _threshold_only(client: TestClient, gateway: Login) -> None:
    """Silence the rate rule of the test device so each test watches one rule at a time."""
    device = client.get("/api/devices", headers=gateway.headers).json()["items"][0]
    r = client.put(
        f"/api/devices/{device['id']}/rules",
        headers=gateway.headers,
        json={"rules": [{"id": "disp_rate", "per_hour": 100000}]},
    )
    assert r.status_code == 200, r.text


def test_threshold_alarm_opens_one_event_and_clearing_leaves_it_open(
    client: TestClient, gateway: Login, session: Session
) -> None:
    register(client, gateway, ROCK)
    _threshold_only(client, gateway)
    first = post(
        client,
        gateway,
        {"device": "CQ-RD-0001", "value": 3.0, "ts": at(-30)},
        {"device": "CQ-RD-0001", "value": 12.0, "ts": at(-20)},
    )
    assert first["alarms_raised"] == 1 and len(first["events_opened"]) == 1
    event_id = first["events_opened"][0]
    more = post(
        client,
        gateway,
        {"device": "CQ-RD-0001", "value": 35.0, "ts": at(-15)},
        {"device": "CQ-RD-0001", "value": 8.0, "ts": at(-10)},
    )  # above clear (5): still active
    assert more["events_opened"] == [event_id] and more["alarms_cleared"] == 0
    alarms = client.get("/api/alarms", headers=gateway.headers, params={"active": True}).json()["items"]
    assert len(alarms) == 1 and alarms[0]["severity"] == "critical" and alarms[0]["status"] == "ACTIVE_UNACK"

    cleared = post(client, gateway, {"device": "CQ-RD-0001", "value": 4.0, "ts": at(-5)})
    assert cleared["alarms_cleared"] == 1
    alarm = client.get("/api/alarms", headers=gateway.headers).json()["items"][0]
    assert alarm["status"] == "CLEARED_UNACK" and alarm["event_id"] == event_id

    event = client.get(f"/api/events/{event_id}", headers=gateway.headers)
    assert event.status_code == 200, event.text
    body = event.json()
    assert body["status"] == "reported" and body["source"] == "sensor"  # a person closes it, not the sensor
    assert body["unit_id"] == unit(session, "500103003").id and body["owner_name"] == "渝中区规划和自然资源局"
    notes = [e["note"] for e in body["timeline"] if e["action"] == "alarm"]
    assert len(notes) == 3 and "告警升级" in notes[1] and "告警已清除" in notes[2]

    again = post(client, gateway, {"device": "CQ-RD-0001", "value": 15.0, "ts": at(-2)})
    assert again["alarms_raised"] == 1 and again["events_opened"] == [event_id]  # no second event
    assert client.get("/api/events", headers=gateway.headers).json()["total"] == 1


def test_acknowledge_and_clear_by_hand(client: TestClient, gateway: Login, factory: sessionmaker[Session]) -> None:
    register(client, gateway, ROCK)
    _threshold_only(client, gateway)
    post(client, gateway, {"device": "CQ-RD-0001", "value": 11.0})
    duty = login(client, factory, "yz_alarm_duty", [Role.dispatcher], unit_code="500103")
    alarm = client.get("/api/alarms", headers=duty.headers).json()["items"][0]
    assert client.post(f"/api/alarms/{alarm['id']}/ack", headers=gateway.headers).status_code == 404  # not staff
    acked = client.post(f"/api/alarms/{alarm['id']}/ack", headers=duty.headers).json()
    assert acked["status"] == "ACTIVE_ACK"
    assert client.post(f"/api/alarms/{alarm['id']}/ack", headers=duty.headers).status_code == 409
    cleared = client.post(f"/api/alarms/{alarm['id']}/clear", headers=duty.headers).json()
    assert cleared["status"] == "CLEARED_ACK"


def test_alarm_workflow_refuses_a_second_ack_or_clear_with_its_code(
    client: TestClient, gateway: Login, factory: sessionmaker[Session]
) -> None:
    """Cleared first, acknowledged after (CLEARED_UNACK → CLEARED_ACK); then nothing is left to do."""
    register(client, gateway, ROCK)
    _threshold_only(client, gateway)
    post(client, gateway, {"device": "CQ-RD-0001", "value": 11.0})
    duty = login(client, factory, "yz_alarm_flow", [Role.dispatcher], unit_code="500103")
    alarm_id = client.get("/api/alarms", headers=duty.headers).json()["items"][0]["id"]
    cleared = client.post(f"/api/alarms/{alarm_id}/clear", headers=duty.headers, json={"note": "现场已处置"})
    assert cleared.json()["status"] == "CLEARED_UNACK"
    again = client.post(f"/api/alarms/{alarm_id}/clear", headers=duty.headers)
    assert again.status_code == 409 and again.json()["code"] == "alarm.already_cleared"
    assert "「已清除未确认」状态下不能「清除」" in again.json()["detail"]
    assert client.post(f"/api/alarms/{alarm_id}/ack", headers=duty.headers).json()["status"] == "CLEARED_ACK"
    refused = client.post(f"/api/alarms/{alarm_id}/ack", headers=duty.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "alarm.already_acknowledged"
    assert refused.json()["data"]["allowed"] == []


def test_rate_rule_raises_its_own_alarm_on_the_same_event(client: TestClient, gateway: Login) -> None:
    register(client, gateway, ROCK)
    out = post(
        client,
        gateway,
        {"device": "CQ-RD-0001", "value": 3.0, "ts": at(-30)},
        {"device": "CQ-RD-0001", "value": 12.0, "ts": at(-20)},
    )
    types = sorted(a["type"] for a in client.get("/api/alarms", headers=gateway.headers).json()["items"])
    assert types == ["危岩位移超限", "危岩位移速率异常"] and len(out["events_opened"]) == 1


def test_rate_and_composite_rules(client: TestClient, gateway: Login) -> None:
    register(
        client, gateway, {"code": "CQ-RL-01", "type": "river_level", "name": "朝天门水位站", "unit_code": "500103010"}
    )
    out = post(client, gateway, *[{"device": "CQ-RL-01", "value": 170 + i, "ts": at(-60 + i * 10)} for i in range(6)])
    types = {
        a["type"]: a["severity"]
        for a in client.get("/api/alarms", headers=gateway.headers, params={"active": True}).json()["items"]
    }
    assert types == {"水位快速上涨": "minor", "水位超警戒": "major", "洪涝复合风险": "critical"}
    assert len(out["events_opened"]) == 1  # level and composite share the event


def test_silent_device_goes_offline_and_comes_back(
    client: TestClient, gateway: Login, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    register(client, gateway, ROCK)
    post(client, gateway, {"device": "CQ-RD-0001", "value": 1.0})
    frozen.advance(minutes=10)
    with session_scope(factory) as s:
        sensing_jobs.detect_offline(s, clock.now())
    device = client.get("/api/devices", headers=gateway.headers).json()["items"][0]
    assert device["status"] == "offline"
    offline = client.get("/api/alarms", headers=gateway.headers, params={"active": True}).json()["items"]
    assert [a["type"] for a in offline] == ["设备离线"] and offline[0]["event_id"] is None  # warning: no event
    post(client, gateway, {"device": "CQ-RD-0001", "value": 1.1})
    assert client.get("/api/devices", headers=gateway.headers).json()["items"][0]["status"] == "active"
    assert client.get("/api/alarms", headers=gateway.headers, params={"active": True}).json()["total"] == 0


def test_rollups_and_series(client: TestClient, gateway: Login, frozen: clock.FrozenClock) -> None:
    register(client, gateway, ROCK)
    _threshold_only(client, gateway)
    post(
        client,
        gateway,
        *[{"device": "CQ-RD-0001", "value": v, "ts": at(-3 + i * 0.25)} for i, v in enumerate([1.0, 2.0, 3.0, 2.0])],
    )
    device = client.get("/api/devices", headers=gateway.headers).json()["items"][0]
    hours = client.get(f"/api/devices/{device['id']}/series", headers=gateway.headers, params={"period": "h"}).json()
    assert len(hours) == 1 and hours[0]["n"] == 4 and hours[0]["max"] == 3.0 and hours[0]["mean"] == 2.0
    assert hours[0]["last"] == 2.0 and device["last_value"] == 2.0


def test_bulk_registration_reports_bad_rows(client: TestClient, gateway: Login) -> None:
    csv_text = (
        "code,type,name,unit_code,lon,lat,department_code,sector\n"
        "GP-1,gas_pressure,调压站1,500103003,106.57,29.55,,气\n"
        "GP-2,no_type,x,500103003,,,,\n"
        "GP-3,gas_pressure,x,999,,,,\n"
        "GP-1,gas_pressure,dup,500103003,,,,\n"
        "GP-4,gas_pressure,x,500103003,abc,,,\n"
        "GP-5,gas_pressure,x,500103003,,,housing,气\n"
    )
    r = client.post("/api/devices", headers={**gateway.headers, "Content-Type": "text/csv"}, content=csv_text.encode())
    body = r.json()
    assert body["registered"] == 2
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "type"), (3, "unit_code"), (4, "code"), (5, "lon")]


def test_street_sees_only_its_devices_and_alarms(
    client: TestClient, gateway: Login, factory: sessionmaker[Session]
) -> None:
    register(client, gateway, ROCK)
    post(client, gateway, {"device": "CQ-RD-0001", "value": 12.0})
    mine = login(client, factory, "jfb_s", [Role.dispatcher], unit_code="500103003")
    other = login(client, factory, "qxg_s", [Role.dispatcher], unit_code="500103001")
    assert client.get("/api/alarms", headers=mine.headers).json()["total"] == 1
    assert client.get("/api/alarms", headers=other.headers).json()["total"] == 0
    assert client.get("/api/devices", headers=other.headers).json()["total"] == 0
    assert client.get("/api/sensing/alarms.geojson", headers=other.headers).json()["features"] == []
    device_id = client.get("/api/devices", headers=mine.headers).json()["items"][0]["id"]
    assert client.get(f"/api/devices/{device_id}", headers=other.headers).status_code == 404
