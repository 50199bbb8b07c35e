"""The daily workspace in Chromium, on a desktop and on a 390 px phone: a handler's 待办, the banner of an
unacknowledged direct report on every page of the centre, and notifications read per user."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from tests.factories import PASSWORD, Login, department_id, login, make_user, report, unit
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
STREET = "500103003"  # 解放碑街道


def _dispatch(client: TestClient, duty: Login, event_id: object, dept: int) -> None:
    for action, body in (("accept", {}), ("dispatch", {"department_id": dept})):
        r = client.post(f"/api/events/{event_id}/actions/{action}", headers=duty.headers, json=body)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_handler_todo_lists_only_their_departments_work_by_urgency(
    viewport: str,
    client: TestClient,
    factory: sessionmaker[Session],
    session: Session,
    live_url: str,
    page: Page,
    frozen: clock.FrozenClock,
) -> None:
    citizen = login(client, factory, "w_citizen", [Role.citizen])
    duty = login(client, factory, "w_duty", [Role.dispatcher], unit_code="500103")
    urban = department_id(session, "500103", "urban_management")
    water = department_id(session, "500103", "water")
    make_user(factory, "w_cg", [Role.handler], unit_code="500103", department_id=urban)
    first = report(client, citizen.headers, description="临江支路路灯不亮（先派）")
    _dispatch(client, duty, first["id"], urban)
    frozen.advance(minutes=50)
    later = report(client, citizen.headers, description="民族路路灯闪烁（后派）")
    _dispatch(client, duty, later["id"], urban)
    elsewhere = report(client, citizen.headers, description="解放碑路灯（派水利）")
    _dispatch(client, duty, elsewhere["id"], water)
    urgent = report(client, citizen.headers, description="较场口路灯倒伏", severity="urgent")
    _dispatch(client, duty, urgent["id"], urban)

    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_url, "w_cg", PASSWORD)
    expect(page.locator("#todo-count")).to_have_text("3")
    page.click("#nav-todo")
    rows = page.locator("#todo-list tbody tr")
    expect(rows).to_have_count(3)
    # The urgent one first, then the nearest deadline (dispatched first), then the later one; none of water's.
    assert [rows.nth(i).get_attribute("data-ref") for i in range(3)] == [urgent["ref"], first["ref"], later["ref"]]
    expect(rows.nth(0)).to_contain_text("紧急")
    for i in range(3):
        expect(rows.nth(i)).to_contain_text("待签收")
        assert re.match(r"剩余 \d+", rows.nth(i).locator(".countdown").inner_text())
    expect(page.locator("#todo-list")).not_to_contain_text(str(elsewhere["ref"]))
    expect(page.locator("#count-urgent")).to_have_text("1")
    shot(page, f"todo-{viewport}.png")

    frozen.advance(days=2)  # the signing deadline passes: the countdown says so, in red (a new login: 12 h tokens)
    page.context.clear_cookies()
    log_in(page, live_url, "w_cg", PASSWORD)
    page.goto(f"{live_url}/todo")
    expect(rows.nth(1).locator(".countdown.late")).to_contain_text("已超期")
    expect(page.locator("#count-overdue")).to_have_text("3")
    cg = client.post("/api/auth/login", json={"username": "w_cg", "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    api = client.get("/api/todo", headers={"Authorization": f"Bearer {cg}"}).json()
    assert [i["ref"] for i in api["items"]] == [urgent["ref"], first["ref"], later["ref"]]
    assert api["overdue"] == 3 and all(i["seconds_left"] < 0 for i in api["items"])

    page.click(f"#todo-list a:text('{first['ref']}')")
    page.wait_for_url(f"**/events/{first['id']}")
    page.click("button[data-action=sign]")
    expect(page.locator("#event-status")).to_have_text("已签收")
    page.goto(f"{live_url}/todo")
    expect(page.locator(f"#todo-list tr[data-ref='{first['ref']}']")).to_contain_text("待处置")


def _file_direct_report(client: TestClient, factory: sessionmaker[Session]) -> dict[str, object]:
    grid = login(client, factory, "w_grid", [Role.grid_worker], unit_code=STREET)
    r = client.post(
        "/api/direct-reports",
        headers=grid.headers,
        json={"category": "work_safety.gas_leak", "title": "八一路餐馆燃气泄漏", "description": "后厨燃气管破裂"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_direct_report_banner_is_on_every_page_until_acknowledged(
    viewport: str, client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    make_user(factory, "w_street", [Role.dispatcher], unit_code=STREET)
    make_user(factory, "w_district", [Role.dispatcher], unit_code="500103")
    report_ = _file_direct_report(client, factory)
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_url, "w_street", PASSWORD)
    pages = [f"/cockpit/{unit(session, STREET).id}", "/events", "/todo", "/notifications", "/runways"]
    for path in pages:
        page.goto(live_url + path)
        banner = page.locator(".alert-banner")
        expect(banner).to_have_count(1)
        expect(banner).to_contain_text("八一路餐馆燃气泄漏")
        expect(banner).to_contain_text("尚未确认")
    shot(page, f"banner-{viewport}.png")
    page.goto(live_url + "/todo")
    expect(page.locator("#todo-list tr[data-kind='plan.ack']")).to_have_count(1)
    page.click(".alert-banner .ack-banner-button")
    page.wait_for_url("**/todo")
    for path in pages:
        page.goto(live_url + path)
        expect(page.locator(".alert-banner")).to_have_count(0)
    page.goto(live_url + "/todo")
    expect(page.locator("#todo-list tr[data-kind='plan.ack']")).to_have_count(0)
    # The district's centre has not acknowledged: its officer still sees the banner.
    page.context.clear_cookies()
    log_in(page, live_url, "w_district", PASSWORD)
    expect(page.locator(".alert-banner")).to_contain_text(str(report_["ref"]))


def test_notifications_are_marked_read_per_user(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    other = login(client, factory, "w_street2", [Role.dispatcher], unit_code=STREET)
    make_user(factory, "w_street1", [Role.dispatcher], unit_code=STREET)
    _file_direct_report(client, factory)
    before = client.get("/api/notifications", headers=other.headers).json()
    assert before["unread"] >= 1 and not any(n["read"] for n in before["items"])

    log_in(page, live_url, "w_street1", PASSWORD)
    unread = int(page.locator("#unread-count").inner_text())
    assert unread == before["unread"]
    page.click("#bell")
    page.wait_for_url("**/notifications")
    first = page.locator("#notification-list tbody tr.unread", has_text="突发事件直报").first
    first.locator(".mark-read").click()
    page.wait_for_url("**/notifications*")
    expect(page.locator("#notification-list tbody tr.read")).to_have_count(1)
    if unread > 1:
        expect(page.locator("#unread-count")).to_have_text(str(unread - 1))
    else:
        expect(page.locator("#unread-count")).to_have_count(0)
    page.select_option("select[name=show]", "unread")
    page.click("#notification-filters button")
    expect(page.locator("#notification-list tbody tr.read")).to_have_count(0)
    after = client.get("/api/notifications", headers=other.headers).json()
    assert after["unread"] == before["unread"]  # the colleague's inbox is unchanged
    opened = page.locator("#notification-list tbody tr.unread").first
    opened_id = opened.get_attribute("data-notification-id")
    opened.locator(".open-notification").click()  # the title opens the matter, and marks it read
    page.wait_for_url("**/events/**")
    page.goto(f"{live_url}/notifications?show=read")
    expect(page.locator(f"#notification-list tr[data-notification-id='{opened_id}']")).to_have_count(1)
    page.click("#read-all")
    expect(page.locator("#unread-count")).to_have_count(0)
    assert client.get("/api/notifications", headers=other.headers).json()["unread"] == before["unread"]
