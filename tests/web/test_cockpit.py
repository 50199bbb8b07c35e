"""The cockpit in a real Chromium: figures equal the API, map drill-down, buttons, live feed, scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role, system_actor
from cityops.core.db import session_scope
from cityops.events import deadlines
from cityops.events.intake import IntakeItem, intake_one
from tests.factories import PASSWORD, login, make_user, report, unit
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def _seed(client: TestClient, factory: sessionmaker[Session]) -> dict[str, object]:
    citizen = login(client, factory, "citizen_w", [Role.citizen])
    duty = login(client, factory, "yz_duty_w", [Role.dispatcher], unit_code="500103")
    events = [report(client, citizen.headers, address=f"渝中区解放碑街道临江支路{i}号") for i in range(3)]
    report(client, citizen.headers, address="沙坪坝区小龙坎街道")
    client.post(f"/api/events/{events[0]['id']}/actions/accept", headers=duty.headers, json={})
    return {"duty": duty, "citizen": citizen, "events": events}


def test_district_dispatcher_sees_figures_equal_to_metrics(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page, session: Session
) -> None:
    seeded = _seed(client, factory)
    metrics = client.get("/api/metrics", headers=seeded["duty"].headers).json()["figures"]  # type: ignore[attr-defined]
    log_in(page, live_url, "yz_duty_w", PASSWORD)
    expect(page.locator("#unit-name")).to_have_text("渝中区")
    tiles = {k: page.locator(f"[data-kpi={k}] .value").inner_text() for k in ("received_today", "open", "overdue")}
    assert tiles == {
        "received_today": str(metrics["received"]),
        "open": str(metrics["open"]),
        "overdue": str(metrics["overdue"]),
    }
    assert metrics["open"] == 3  # the 沙坪坝区 event is not in this district's figures
    expect(page.locator("#child-units")).to_contain_text("解放碑街道")


def test_city_user_clicks_a_district_on_the_map(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page, session: Session
) -> None:
    _seed(client, factory)
    make_user(factory, "city_leader_w", [Role.leader], unit_code="500000")
    log_in(page, live_url, "city_leader_w", PASSWORD)
    page.wait_for_function("() => window.cityops && window.cityops.mapReady === true")  # a function: no eval under CSP
    wanzhou = unit(session, "500101")
    shot(page, "cockpit-city.png")
    x, y = page.evaluate(
        "([lon, lat]) => window.cityops.charts.map.convertToPixel({geoIndex: 0}, [lon, lat])",
        [wanzhou.lon, wanzhou.lat],
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/cockpit/{wanzhou.id}")
    expect(page.locator("#unit-name")).to_have_text("万州区")


def test_overdue_event_is_dispatched_with_a_button(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    seeded = _seed(client, factory)
    first = seeded["events"][0]  # type: ignore[index]
    with session_scope(factory) as s:  # a day later nobody has dispatched it
        deadlines.sweep(s, clock.now() + timedelta(days=1))
    log_in(page, live_url, "yz_duty_w", PASSWORD)
    page.goto(f"{live_url}/events?overdue=1")
    row = page.locator(f"tr[data-event-id='{first['id']}']")
    expect(row).to_contain_text("超期")
    row.locator("a").click()
    expect(page.locator("#timeline li[data-action=overdue]")).to_have_count(1)
    page.locator("button[data-action=dispatch]").click()
    expect(page.locator("#timeline li[data-action=dispatch]")).to_have_count(1)
    expect(page.locator("#event-status")).to_have_text("待签收")
    shot(page, "event.png")
    detail = client.get(f"/api/events/{first['id']}", headers=seeded["duty"].headers).json()  # type: ignore[attr-defined]
    assert detail["status"] == "dispatched"
    assert [e["actor_name"] for e in detail["timeline"] if e["action"] == "dispatch"] == ["yz_duty_w"]


def test_new_event_appears_in_the_live_feed(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    seeded = _seed(client, factory)
    log_in(page, live_url, "yz_duty_w", PASSWORD)
    expect(page.locator("#live-dot.on")).to_have_count(1)
    created = report(
        client,
        seeded["citizen"].headers,  # type: ignore[attr-defined]
        description="解放碑井盖旁路灯闪烁",
        address="渝中区解放碑街道",
    )
    expect(page.locator(f"#feed li[data-event-id='{created['id']}']")).to_contain_text(str(created["ref"]))
    with session_scope(factory) as s:  # an event elsewhere never reaches this district's feed
        other = intake_one(
            s,
            system_actor("system:test"),
            IntakeItem(
                category="municipal.streetlight_fault",
                description="沙坪坝路灯",
                address="沙坪坝区小龙坎街道",
                source="import",
            ),
        )
    page.wait_for_timeout(2500)
    expect(page.locator(f"#feed li[data-event-id='{other.event_id}']")).to_have_count(0)


def test_street_user_gets_404_on_another_streets_event(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    seeded = _seed(client, factory)
    make_user(factory, "qxg_duty_w", [Role.dispatcher], unit_code="500103001")
    log_in(page, live_url, "qxg_duty_w", PASSWORD)
    first = seeded["events"][0]  # type: ignore[index]
    response = page.goto(f"{live_url}/events/{first['id']}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("未找到或无权查看")
    response = page.goto(f"{live_url}/cockpit/{first['owner_unit_id']}")
    assert response is not None and response.status == 404
