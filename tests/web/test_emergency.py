"""突发事件直报 in Chromium: a grid worker reports from a phone, the street's duty officer acknowledges from the
event page, and the page shows which centres know and which have not yet acknowledged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, login, make_user
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_grid_worker_reports_and_the_street_acknowledges(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    make_user(factory, "e_grid", [Role.grid_worker], unit_code="500103003")
    make_user(factory, "e_duty", [Role.dispatcher], unit_code="500103003")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_url, "e_grid", PASSWORD)
    page.goto(f"{live_url}/direct-report")
    page.select_option("select[name=category]", "work_safety.gas_leak")
    page.fill("input[name=title]", "民族路餐馆燃气泄漏")
    page.fill("textarea[name=description]", "后厨燃气管道破裂，气味浓烈，已疏散顾客")
    page.click("#direct-report-submit")
    page.wait_for_url("**/events/**")
    expect(page.locator(".direct-report tbody tr")).to_have_count(3)
    expect(page.locator(".plan-run h2")).to_contain_text("燃气泄漏应急预案")
    event_url = page.url

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_url, "e_duty", PASSWORD)
    page.goto(event_url)
    page.click("#ack-button")
    street_row = page.locator('.direct-report tr[data-level="street"]')
    expect(street_row).to_contain_text("e_duty")
    expect(page.locator('.direct-report tr[data-level="city"]')).to_contain_text("未确认")
    expect(page.locator("#ack-button")).to_have_count(0)
    page.goto(f"{live_url}/todo")  # the street's plan task is named by the event's reference, not a step code
    task = page.locator('tr[data-kind="plan.task"]').first
    expect(task).to_contain_text("CQ")
    expect(task).not_to_contain_text("evacuate")
    page.goto(event_url)
    # The street's own plan task is completed from the same page; the district's tasks offer no button here.
    evacuate = page.locator('.plan-run tr[data-step="evacuate"]')
    evacuate.locator("input[name=note]").fill("已划定50米警戒区")
    evacuate.locator('[data-step-action="done"]').click()
    expect(page.locator('.plan-run tr[data-step="evacuate"]')).to_contain_text("已完成")
    expect(page.locator('.plan-run tr[data-step="shut_off"] [data-step-action]')).to_have_count(0)
    shot(page, "direct-report.png")

    city = login(client, factory, "e_city", [Role.dispatcher], unit_code="500000")
    reports = client.get("/api/direct-reports", headers=city.headers).json()["items"]
    assert len(reports) == 1 and reports[0]["title"] == "民族路餐馆燃气泄漏"
