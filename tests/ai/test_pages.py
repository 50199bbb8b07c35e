"""AI in Chromium: the citizen form suggests a category as they type (a tap selects it) and shows a similar
open report nearby; the dispatcher sees the top 3 with confidence, accepts one with a click (改类, 受理, 派遣
in the timeline) and asks for a summary; the admin trains a version, makes it live and sets a threshold."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.ai.conftest import COMMUNITY, STREET
from tests.factories import PASSWORD, login, make_user, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
GARBAGE = "邹容路小区门口的垃圾堆了三天没人收，臭得很，苍蝇到处飞"


def test_citizen_form_suggests_and_dispatcher_accepts_a_suggestion(
    history: dict[str, object], client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    duty = login(client, factory, "aip_api", [Role.dispatcher], unit_code=STREET)
    filed = report(
        client,
        duty.headers,
        category="city_appearance.street_vending",
        description=GARBAGE,
        unit_code=COMMUNITY,
        address="",
        reporter_phone="13912345678",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/public/report")
    page.fill("input[name=address]", "渝中区解放碑街道邹容路")
    page.fill("textarea[name=description]", "小区门口垃圾堆了三天没人收，臭得很")
    chip = page.locator("#ai-suggest [data-suggest-code='city_appearance.exposed_garbage']")
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("暴露垃圾")
    expect(page.locator("#ai-similar")).to_contain_text("附近已有相似的反映")
    chip.click()
    expect(page.locator("select[name=category]")).to_have_value("city_appearance.exposed_garbage")
    shot(page, "ai-citizen-suggest.png")
    page.click("#submit")
    expect(page.locator("#receipt-ref")).to_contain_text("CQ")

    page.set_viewport_size({"width": 1440, "height": 900})
    make_user(factory, "aip_duty", [Role.dispatcher], unit_code=STREET)
    log_in(page, live_url, "aip_duty", PASSWORD)
    page.goto(f"{live_url}/events/{filed['id']}")
    top = page.locator("#ai-top li")
    expect(top).to_have_count(3)
    expect(top.first).to_contain_text("暴露垃圾")
    expect(top.first.locator(".score")).to_contain_text("%")
    expect(page.locator("#ai-panel")).to_contain_text(str(history["version"]))
    expect(page.locator("#ai-similar")).to_contain_text("CQ")  # the citizen's new report, for 并案
    page.click("[data-ai-accept='city_appearance.exposed_garbage']")
    expect(page.locator("#event-status")).to_have_text("待签收")
    expect(page.locator("h1")).to_contain_text("暴露垃圾")
    timeline = page.locator("#timeline")
    for action in ("recategorize", "accept", "dispatch"):
        expect(timeline.locator(f"li[data-action={action}]")).to_contain_text("采纳智能推荐")
    expect(timeline.locator("li[data-action=recategorize]")).to_contain_text("改类")
    page.click("#ai-summary-button")
    expect(page.locator("#ai-summary-text")).to_contain_text("本地摘要")
    expect(page.locator("#ai-summary-text")).not_to_contain_text("13912345678")
    shot(page, "ai-dispatcher-accept.png")


def test_admin_trains_activates_and_sets_a_threshold(
    history: dict[str, object], live_url: str, page: Page, factory: sessionmaker[Session]
) -> None:
    make_user(factory, "aip_admin", [Role.sysadmin], unit_code="500000")
    log_in(page, live_url, "aip_admin", PASSWORD)
    page.goto(f"{live_url}/ai")
    expect(page.locator("#ai-models tr[data-version=v1]")).to_contain_text("在用")
    page.click("#train-button")
    row = page.locator("#ai-models tr[data-version=v2]")
    expect(row).to_contain_text("首选准确率")
    page.click("[data-activate=v2]")
    expect(row).to_contain_text("在用")
    expect(page.locator("#ai-models tr[data-version=v1]")).not_to_contain_text("在用")
    expect(page.locator("#ai-thresholds")).to_contain_text("所有分类均未开启")
    page.select_option("#threshold-form select[name=category]", "city_appearance.exposed_garbage")
    page.fill("#threshold-form input[name=threshold]", "0.3")
    page.click("#threshold-button")
    expect(page.locator("#ai-admin-error")).to_contain_text("0.5")
    page.select_option("#threshold-form select[name=category]", "city_appearance.exposed_garbage")
    page.fill("#threshold-form input[name=threshold]", "0.85")
    page.click("#threshold-button")
    expect(page.locator("#ai-thresholds tr[data-category='city_appearance.exposed_garbage']")).to_contain_text("0.85")
    expect(page.locator("#auto-figures")).to_contain_text("已智能派遣 0")
    shot(page, "ai-admin.png")
