"""民呼我为 on a 390 px phone in Chromium: a pin picked on the map, a report without a phone tracked with the
receipt's code (and not with the reference alone), the handler's reply, one rating only, errors beside the
field in plain Chinese, and a place outside Chongqing refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.org import geo
from tests.factories import department_id, login

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}
LATIN = re.compile(r"[A-Za-z_]")


def _tap_map(page: Page, lon: float, lat: float, zoom: float = 1) -> None:
    page.wait_for_function("() => window.cityopsPicker && window.cityopsPicker.ready")
    if zoom > 1:  # as a user pinches in on the place (no animation: the pixel below is read at once)
        page.evaluate(
            "([lon, lat, zoom]) => window.cityopsPicker.chart.setOption("
            "{animation: false, geo: {center: [lon, lat], zoom: zoom}})",
            [lon, lat, zoom],
        )
    x, y = page.evaluate(
        "([lon, lat]) => window.cityopsPicker.chart.convertToPixel({geoIndex: 0}, [lon, lat])", [lon, lat]
    )
    box = page.locator("#pin-map").bounding_box()
    assert box is not None and 0 < x < box["width"] and 0 < y < box["height"]
    page.mouse.click(box["x"] + x, box["y"] + y)


def _close_loop(client: TestClient, factory: sessionmaker[Session], session: Session, ref: str) -> int:
    duty = login(client, factory, "ps_duty", [Role.dispatcher], unit_code="500103")
    handler = login(
        client,
        factory,
        "ps_cg",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "urban_management"),
    )
    event = client.get("/api/events", headers=duty.headers, params={"q": ref}).json()["items"][0]
    steps = [(duty, "accept", ""), (duty, "dispatch", ""), (handler, "sign", ""), (handler, "start", "")]
    steps.append((handler, "report", "已更换临江支路28号路灯灯泡，晚间照明已恢复"))
    steps += [(duty, "verify", ""), (duty, "close", "已办结，请评价")]  # the close note must not hide the answer
    for who, action, note in steps:
        r = client.post(f"/api/events/{event['id']}/actions/{action}", headers=who.headers, json={"note": note})
        assert r.status_code == 200, r.text
    return int(event["id"])


def test_report_without_phone_is_tracked_by_code_shows_the_reply_and_is_rated_once(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/public/report")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.fill("textarea[name=description]", "临江支路28号门口路灯晚上不亮")
    _tap_map(page, 106.5783, 29.5585, zoom=12)  # 解放碑, 渝中区
    expect(page.locator("#pin-text")).to_contain_text("已选位置：106.5")
    page.click("#submit")
    ref = page.locator("#receipt-ref").inner_text()
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    _close_loop(client, factory, session, ref)

    page.goto(f"{live_url}/public/track?ref={ref}")
    page.click("#track")  # the reference alone is not enough
    expect(page.locator(".error")).to_contain_text("不符")
    page.fill("input[name=digits]", "0000")
    page.click("#track")
    expect(page.locator(".error")).to_contain_text("不符")
    page.fill("input[name=digits]", code.lower())  # typed back from a screenshot, in any case
    page.click("#track")
    expect(page.locator("#public-status")).to_have_text("已办结")
    expect(page.locator("#reply-text")).to_have_text("已更换临江支路28号路灯灯泡，晚间照明已恢复")
    expect(page.locator("#reply")).not_to_contain_text("ps_cg")  # the unit answers, not a named person
    page.check("input[value=basically_satisfied]")
    page.click("#rate")
    expect(page.locator("#message")).to_have_text("感谢您的评价。")
    expect(page.locator("#public-rating")).to_have_text("基本满意")
    expect(page.locator("#rate-form")).to_have_count(0)
    page.goto(f"{live_url}/public/track?ref={ref}")
    page.fill("input[name=digits]", code)
    page.click("#track")
    expect(page.locator("#public-rating")).to_have_text("基本满意")
    expect(page.locator("#rate-form")).to_have_count(0)


def test_errors_stand_beside_their_field_in_plain_chinese(live_url: str, page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/public/report")
    page.click("#submit")
    expect(page.locator("#error-category")).to_have_text("请选择问题类别。")
    # An empty form is answered with everything it lacks at once, not one field per try.
    expect(page.locator("#error-description")).to_have_text("请描述您看到的问题。")
    expect(page.locator("#location-field #error-location")).to_contain_text("请填写问题所在的地址")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.click("#submit")
    expect(page.locator("#error-description")).to_have_text("请描述您看到的问题。")
    page.fill("textarea[name=description]", "路灯不亮")
    page.click("#submit")
    expect(page.locator("#location-field #error-location")).to_contain_text("请填写问题所在的地址")
    page.fill("input[name=address]", "渝中区解放碑街道临江支路28号")
    page.fill("input[name=phone]", "12345")
    page.click("#submit")
    phone_error = page.locator("label:has(input[name=phone]) #error-phone")
    expect(phone_error).to_contain_text("手机号格式不对")
    expect(page.locator("textarea[name=description]")).to_have_value("路灯不亮")  # nothing typed is lost
    for text in page.locator(".field-error").all_inner_texts():
        assert not LATIN.search(text), text


def test_a_report_from_outside_chongqing_is_refused(session: Session, live_url: str, page: Page) -> None:
    outside = (105.5, 31.9)  # Sichuan, inside the map's frame but outside every district of Chongqing
    idx = geo.index(session)
    assert geo.districts_for_points(idx, [outside[0]], [outside[1]]) == [None]
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/public/report")
    page.select_option("select[name=category]", "municipal.streetlight_fault")
    page.fill("textarea[name=description]", "路灯不亮")
    _tap_map(page, *outside)
    page.click("#submit")
    expect(page.locator("#error-location")).to_contain_text("不在重庆市范围内")
    expect(page.locator("#receipt-ref")).to_have_count(0)
    page.click("#clear-pin")
    page.fill("input[name=address]", "四川省成都市武侯区人民南路四段")
    page.click("#submit")
    expect(page.locator("#error-location")).to_contain_text("不在重庆市范围内")
