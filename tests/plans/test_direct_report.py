"""突发事件直报快响: one report tells street, district and city at the same moment; a centre that does not
acknowledge is told again after N minutes and the level above is alerted; the timeline shows every time;
a drill report leaves the system through no channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.org.models import Centre
from cityops.plans.notify import LOGGING_SMS
from tests.factories import login, unit
from tests.plans.conftest import WebhookReceiver, drain

STREET, DISTRICT, CITY = "500103003", "500103", "500000"
GAS = {
    "category": "work_safety.gas_leak",
    "title": "民族路餐馆燃气泄漏",
    "description": "民族路一餐馆后厨燃气管道破裂，现场气味浓烈，已有群众聚集",
    "idempotency_key": "grid-0001-report-1",
}


def _iso(at: datetime) -> str:
    """A time as the API writes it (ISO 8601, UTC as Z)."""
    return at.isoformat().replace("+00:00", "Z")


def test_unacknowledged_city_is_told_again_and_the_timeline_shows_every_time(
    client: TestClient, factory: sessionmaker[Session], session: Session, frozen: clock.FrozenClock
) -> None:
    grid = login(client, factory, "jfb_grid", [Role.grid_worker], unit_code=STREET)
    street = login(client, factory, "jfb_duty", [Role.dispatcher], unit_code=STREET)
    district = login(client, factory, "yz_duty", [Role.dispatcher], unit_code=DISTRICT)
    city = login(client, factory, "city_duty", [Role.dispatcher], unit_code=CITY)
    leader = login(client, factory, "city_leader", [Role.leader], unit_code=CITY)
    t0 = clock.now()
    r = client.post("/api/direct-reports", headers=grid.headers, json=GAS)
    assert r.status_code == 201, r.text
    report = r.json()
    assert [lvl["level"] for lvl in report["levels"]] == ["street", "district", "city"]
    assert all(lvl["told_at"] == [_iso(t0)] for lvl in report["levels"])  # the same moment
    again = client.post("/api/direct-reports", headers=grid.headers, json=GAS)  # a retry: the same report
    assert again.json()["id"] == report["id"]
    for who in (street, district, city):
        told = client.get("/api/notifications", headers=who.headers).json()["items"]
        assert any(n["kind"] == "direct_report" and n["subject_id"] == report["id"] for n in told)
    event = client.get(f"/api/events/{report['event_id']}", headers=street.headers).json()
    assert event["source"] == "emergency" and event["severity"] == "urgent"
    assert [p["name"] for p in report["plan_runs"]] == ["燃气泄漏应急预案"]  # the matching plan started

    url = f"/api/direct-reports/{report['id']}"
    frozen.advance(minutes=1)
    assert client.post(f"{url}/ack", headers=street.headers).status_code == 200
    frozen.advance(minutes=2)
    assert client.post(f"{url}/ack", headers=district.headers).status_code == 200
    assert client.post(f"{url}/ack", headers=district.headers).status_code == 409
    assert client.post(f"{url}/ack", headers=grid.headers).status_code == 403

    frozen.advance(minutes=1)  # 4 minutes: not yet
    drain(factory)
    assert client.get(url, headers=city.headers).json()["levels"][2]["told_at"] == [_iso(t0)]
    frozen.advance(minutes=1, seconds=1)  # past the 5 minutes
    drain(factory)
    frozen.advance(seconds=30)
    drain(factory)  # the next sweep: told once per window, not per sweep

    body = client.get(url, headers=city.headers).json()
    levels = {lvl["level"]: lvl for lvl in body["levels"]}
    assert levels["street"]["acknowledged_at"] == _iso(t0 + timedelta(minutes=1))
    assert levels["district"]["acknowledged_at"] == _iso(t0 + timedelta(minutes=3))
    assert levels["street"]["told_at"] == [_iso(t0)] and levels["district"]["told_at"] == [_iso(t0)]
    assert levels["city"]["acknowledged_at"] is None
    assert levels["city"]["told_at"] == [_iso(t0), _iso(t0 + timedelta(minutes=5, seconds=1))]
    assert levels["city"]["upper_told_at"] == _iso(t0 + timedelta(minutes=5, seconds=1))
    reminders = client.get("/api/notifications", headers=city.headers).json()["items"]
    assert sum(n["kind"] == "direct_report_reminder" for n in reminders) == 1
    leaders = client.get("/api/notifications", headers=leader.headers).json()["items"]
    assert sum(n["kind"] == "direct_report_unacked" for n in leaders) == 1
    notes = [
        e["note"] for e in client.get(f"/api/events/{report['event_id']}", headers=city.headers).json()["timeline"]
    ]
    assert any("镇街中心已确认" in n for n in notes) and any("市级中心未在 5 分钟内确认" in n for n in notes)

    frozen.advance(minutes=1)
    assert client.post(f"{url}/ack", headers=city.headers).status_code == 200
    frozen.advance(minutes=10)
    drain(factory)
    final = client.get(url, headers=city.headers).json()
    assert len(final["levels"][2]["told_at"]) == 2 and final["levels"][2]["acknowledged_by"] == "city_duty"

    other = login(client, factory, "other_street", [Role.dispatcher], unit_code="500103001")
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get("/api/direct-reports", headers=other.headers).json()["items"] == []


def test_a_drill_report_reaches_no_adapter(
    client: TestClient,
    factory: sessionmaker[Session],
    session: Session,
    webhooks: WebhookReceiver,
    frozen: clock.FrozenClock,
) -> None:
    with session_scope(factory) as s:
        for c in s.scalars(select(Centre)):
            c.duty_phone = "13800138000"
    grid = login(client, factory, "jfb_grid", [Role.grid_worker], unit_code=STREET)
    r = client.post(
        "/api/direct-reports", headers=grid.headers, json={**GAS, "idempotency_key": "drill-1", "drill": True}
    )
    assert r.status_code == 201 and r.json()["drill"]
    frozen.advance(minutes=6)  # nobody acknowledges: reminders and upward alerts, all inside the system
    drain(factory)
    assert webhooks.received == [] and LOGGING_SMS.sent == []
    city = login(client, factory, "city_duty", [Role.dispatcher], unit_code=CITY)
    told = client.get("/api/notifications", headers=city.headers).json()["items"]
    assert told and all(n["is_drill"] for n in told)
    assert all(p["status"] == "open" for p in r.json()["plan_runs"])

    real = client.post("/api/direct-reports", headers=grid.headers, json={**GAS, "idempotency_key": "real-1"})
    assert real.status_code == 201
    drain(factory)
    kinds = {h["kind"] for h in webhooks.received}
    assert "direct_report" in kinds and len([h for h in webhooks.received if h["kind"] == "direct_report"]) == 3
    assert len(LOGGING_SMS.sent) >= 3 and all(phone == "13800138000" for phone, _ in LOGGING_SMS.sent)
    assert unit(session, STREET).name in str(webhooks.received)


def test_the_event_page_shows_each_level_and_the_plan_steps(
    client: TestClient, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    grid = login(client, factory, "jfb_grid", [Role.grid_worker], unit_code=STREET)
    street = login(client, factory, "jfb_duty", [Role.dispatcher], unit_code=STREET)
    report = client.post("/api/direct-reports", headers=grid.headers, json=GAS).json()
    frozen.advance(minutes=2)
    client.post(f"/api/direct-reports/{report['id']}/ack", headers=street.headers)
    page = client.get(f"/events/{report['event_id']}", headers=street.headers)
    assert page.status_code == 200
    html = page.text
    assert report["ref"] in html and "燃气泄漏应急预案" in html and "疏散周边群众" in html
    assert html.count('data-level="') == 3 and "未确认" in html and "jfb_duty" in html
