"""应用台账 in Chromium: the ledger list filters; an application's page moves its status with a reason
(上线), refuses 贯通实战 without use at three levels and says which level is missing, adds and removes a
deployment, and shows the history with who moved it and why."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, login, make_user, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_the_ledger_page_filters_and_moves_an_application(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    citizen = login(client, factory, "ledp_citizen", [Role.citizen])
    report(client, citizen.headers, category="traffic.bus_service", description="公交车长期晚点")  # the city's
    report(client, citizen.headers, category="municipal.streetlight_fault", description="路灯不亮")  # a district's
    make_user(factory, "ledp_admin", [Role.app_admin, Role.dispatcher], unit_code="500000")
    log_in(page, live_url, "ledp_admin", PASSWORD)
    page.click("text=应用台账")
    expect(page.locator("#app-list tbody tr")).to_have_count(8)
    expect(page.locator("#app-figures [data-status=listed] .value")).to_have_text("8")
    expect(page.locator("#bundle-list tr[data-bundle=platform]")).to_contain_text("v1")
    expect(page.locator("#bundle-list tr[data-bundle=minhu]")).to_contain_text("事项分类 61")
    shot(page, "app-ledger-list.png")
    page.fill("#app-filters input[name=q]", "生命线")
    page.click("#app-filter-button")
    expect(page.locator("#app-list tbody tr")).to_have_count(1)
    expect(page.locator("#app-list")).to_contain_text("城市生命线")
    page.fill("#app-filters input[name=q]", "")
    page.select_option("#app-filters select[name=status]", "launched")
    page.click("#app-filter-button")
    expect(page.locator("#app-list")).to_contain_text("暂无")
    page.select_option("#app-filters select[name=status]", "listed")
    page.select_option("#app-filters select[name=family]", "none")
    page.click("#app-filter-button")
    expect(page.locator("#app-list tbody tr")).to_have_count(8)

    page.click("#app-list a:text('民呼我为')")
    expect(page.locator("#app-status")).to_have_text("入账")
    expect(page.locator("#app-history tbody tr")).to_have_count(2)
    page.select_option("#status-form select[name=action]", "launch")
    page.fill("#status-form textarea[name=reason]", "三级中心已接入，市级验收通过")
    page.click("#status-submit")
    expect(page.locator("#app-status")).to_have_text("上线")
    expect(page.locator("#app-history tbody tr").first).to_contain_text("三级中心已接入，市级验收通过")
    expect(page.locator("#app-history tbody tr").first).to_contain_text("ledp_admin")
    expect(page.locator("#app-usage tr[data-level=city]")).to_contain_text("市级")
    expect(page.locator("#app-connected")).to_contain_text("缺少：镇街")

    page.select_option("#status-form select[name=action]", "connect")
    page.fill("#status-form textarea[name=reason]", "申请认定贯通实战")
    page.click("#status-submit")
    expect(page.locator("p.error")).to_contain_text("不能认定贯通实战")
    expect(page.locator("#app-status")).to_have_text("上线")

    page.fill("#deploy-form input[name=unit_code]", "500103003")
    page.click("#deploy-form button")
    expect(page.locator("#app-deployments tr[data-unit=解放碑街道]")).to_contain_text("镇街")
    page.fill("#deploy-form input[name=unit_code]", "999")
    page.click("#deploy-form button")
    expect(page.locator("p.error")).to_contain_text("单位代码不存在")
    page.locator("#app-deployments tr[data-unit=解放碑街道] button").click()
    expect(page.locator("#app-deployments")).to_contain_text("尚未登记部署单位")
    shot(page, "app-ledger.png")
