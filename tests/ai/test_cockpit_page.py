"""热点问题 on the street cockpit in Chromium: the hot spot with its 风险提示 and its events, its summary and the
street's day summary; from one of its events the dispatcher merges a similar open report (并案)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.ai.conftest import COMMUNITY, STREET, answer_received
from tests.ai.test_hotspots import TEXTS
from tests.factories import PASSWORD, login, make_user, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_hot_spot_on_the_cockpit_with_summaries_and_a_merge(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    duty = login(client, factory, "aic_api", [Role.dispatcher], unit_code=STREET)
    refs = [
        report(
            client,
            duty.headers,
            category="city_appearance.exposed_garbage",
            description=t,
            unit_code=COMMUNITY,
            address="",
        )["ref"]
        for t in TEXTS[:5]
    ]
    answer_received(factory)
    make_user(factory, "aic_duty", [Role.dispatcher], unit_code=STREET)
    log_in(page, live_url, "aic_duty", PASSWORD)
    spot = page.locator("#hotspots .hotspot")
    expect(spot).to_have_count(1)
    expect(spot).to_contain_text("风险提示")
    expect(spot).to_contain_text("5件相似的「暴露垃圾」反映")
    for ref in refs:
        expect(spot).to_contain_text(ref)
    spot.locator("[data-hotspot-summary]").click()
    expect(spot.locator(".ai-summary-text")).to_contain_text("垃圾")
    page.click("#day-summary-button")
    expect(page.locator("#day-summary .ai-summary-text")).to_contain_text("共受理5件")
    shot(page, "ai-hotspot-cockpit.png")
    spot.locator(f"a:has-text('{refs[0]}')").click()
    expect(page.locator("#ai-similar li").first).to_be_visible()
    target = page.locator("#ai-similar [data-merge-into]").first.get_attribute("data-merge-into")
    page.locator("#ai-similar [data-merge-into]").first.click()
    expect(page.locator("#event-status")).to_have_text("已并案")
    expect(page.locator("#timeline li[data-action=merge]")).to_be_visible()
    assert target in refs[1:]
