"""民呼我为 in Chromium: submit → track → rate, with the staff closing the loop in between."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import department_id, login

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


def test_honeypot_submission_is_refused(live_url: str, page: Page) -> None:
    page.goto(f"{live_url}/public/report")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.fill("textarea[name=description]", "bot text")
    page.fill("input[name=address]", "渝中区")
    page.evaluate("document.querySelector('[name=website]').value = 'http://spam.example'")
    page.click("#submit")
    expect(page.locator(".error")).to_contain_text("未被接受")
