"""民呼我为 in Chromium: submit → track → rate, with the staff closing the loop in between."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, department_id, login
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


def test_citizen_submits_tracks_and_rates(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_url}/public/report")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.fill("textarea[name=description]", "临江支路28号门口路灯晚上不亮，已经三天了")
    page.fill("input[name=address]", "渝中区解放碑街道临江支路28号")
    page.fill("input[name=phone]", "13912345678")
    page.click("#submit")
    ref = page.locator("#receipt-ref").inner_text()
    assert ref.startswith("CQ")
    expect(page.locator("main")).to_contain_text("139****5678")

    duty = login(client, factory, "pub_duty", [Role.dispatcher], unit_code="500103")
    handler = login(
        client,
        factory,
        "pub_cg",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "urban_management"),
    )
    event = client.get("/api/events", headers=duty.headers, params={"q": ref}).json()["items"][0]
    for who, action in [
        (duty, "accept"),
        (duty, "dispatch"),
        (handler, "sign"),
        (handler, "start"),
        (handler, "report"),
        (duty, "verify"),
        (duty, "close"),
    ]:
        r = client.post(f"/api/events/{event['id']}/actions/{action}", headers=who.headers, json={"note": "已处理"})
        assert r.status_code == 200, r.text

    page.goto(f"{live_url}/public/track?ref={ref}")
    page.fill("input[name=digits]", "0000")
    page.click("#track")
    expect(page.locator(".error")).to_contain_text("不符")
    page.fill("input[name=digits]", "5678")
    page.click("#track")
    expect(page.locator("#public-status")).to_have_text("已办结")
    expect(page.locator(".timeline")).not_to_contain_text("pub_duty")  # no staff names in public
    page.check("input[value=satisfied]")
    page.click("#rate")
    expect(page.locator("#message")).to_contain_text("感谢")
    expect(page.locator("#public-rating")).to_have_text("满意")
    detail = client.get(f"/api/events/{event['id']}", headers=duty.headers).json()
    assert detail["rating"] == "satisfied"
    # The staff see the rating on the event's timeline, given by the citizen (no raw "citizen:CQ…" name).
    page.context.clear_cookies()
    log_in(page, live_url, "pub_duty", PASSWORD)
    page.goto(f"{live_url}/events/{event['id']}")
    rated = page.locator('#timeline li[data-action="rate"]')
    expect(rated).to_contain_text("满意")
    expect(rated).to_contain_text("市民（反映人）")
    expect(page.locator("#timeline")).not_to_contain_text("citizen:")


def test_a_wage_report_asks_for_the_amount_owed_and_stores_it(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    """拖欠工资 has its own fields (拖欠金额, 涉及人数): they appear when it is chosen, a missing one is named
    beside it in plain Chinese, and what the citizen typed is stored as the event's attributes."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/public/report")
    amount = page.locator("input[name='attributes.amount_yuan']")
    workers = page.locator("input[name='attributes.workers']")
    expect(amount).to_be_hidden()
    page.select_option("select[name=category]", "labour.wage_arrears")
    expect(amount).to_be_visible()
    page.fill("textarea[name=description]", "民族路工地拖欠我们三个月工资")
    page.fill("input[name=address]", "渝中区解放碑街道民族路88号")
    page.fill("input[name=phone]", "13912345679")
    workers.fill("３")  # typed on a phone's full-width keyboard
    page.click("#submit")
    expect(page.locator("#error-attributes-amount_yuan")).to_contain_text("拖欠金额")
    expect(page.locator("#error-attributes-amount_yuan")).not_to_contain_text("amount_yuan")
    expect(workers).to_have_value("３")
    amount.fill("-5")  # an amount no arrears can be: refused beside the field, in Chinese
    page.click("#submit")
    expect(page.locator("#error-attributes-amount_yuan")).to_contain_text("「拖欠金额(元)」须在0至1000亿之间")
    amount.fill("12,000")
    page.click("#submit")
    ref = page.locator("#receipt-ref").inner_text()
    duty = login(client, factory, "pub_wage_duty", [Role.dispatcher], unit_code="500000")
    event = client.get("/api/events", headers=duty.headers, params={"q": ref}).json()["items"][0]
    assert event["category"] == "labour.wage_arrears"
    assert event["attributes"] == {"amount_yuan": 12000, "workers": 3}


def test_honeypot_submission_is_refused(live_url: str, page: Page) -> None:
    page.goto(f"{live_url}/public/report")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.fill("textarea[name=description]", "bot text")
    page.fill("input[name=address]", "渝中区")
    page.evaluate("document.querySelector('[name=website]').value = 'http://spam.example'")
    page.click("#submit")
    expect(page.locator(".error")).to_contain_text("未被接受")
