"""The event page in Chromium (desktop and a 390 px phone): where it is (path and pin), who has it, the
stage countdown, and every step of the loop taken from the labelled action form — merge and void included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, department_id, login, make_user, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
ADDRESS = "渝中区解放碑街道临江支路28号"


def _act(page: Page, action: str, note: str = "") -> None:
    if note:
        page.fill("#action-note", note)
    page.click(f"#actions button[data-action={action}]")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_event_page_shows_place_and_pin_and_each_action_works_from_its_form(
    viewport: str, client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    citizen = login(client, factory, "ep_citizen", [Role.citizen])
    make_user(factory, "ep_duty", [Role.dispatcher], unit_code="500103")
    make_user(
        factory,
        "ep_cg",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "urban_management"),
    )
    main = report(client, citizen.headers, address=ADDRESS, lon=106.5783, lat=29.5585)
    dup = report(client, citizen.headers, address=ADDRESS, description="临江支路28号路灯坏了")
    junk = report(client, citizen.headers, address=ADDRESS, description="测试一下")

    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_url, "ep_duty", PASSWORD)
    page.goto(f"{live_url}/events/{main['id']}")
    path = page.locator("#location-path")
    expect(path).to_contain_text("渝中区")
    expect(path).to_contain_text("解放碑街道")
    expect(path.locator(".sep").first).to_have_text("›")
    page.wait_for_function("() => window.cityops && window.cityops.eventMapReady === true")
    pin = page.evaluate("() => window.cityops.eventMap.getOption().series[0].data[0].value")
    assert pin == pytest.approx([106.5783, 29.5585])
    expect(page.locator("#stage-countdown")).to_contain_text("剩余")
    expect(page.locator(".facts")).to_contain_text("民呼我为")  # the source in words, not `citizen`
    expect(page.locator("#void-form button.danger")).to_have_text("作废")  # apart from the other actions

    _act(page, "accept")
    expect(page.locator("#event-status")).to_have_text("待派遣")
    page.select_option("select[name=department_id]", label="渝中区城市管理局")
    _act(page, "dispatch")
    expect(page.locator("#event-status")).to_have_text("待签收")
    expect(page.locator("#assigned-to")).to_have_text("渝中区城市管理局")
    expect(page.locator("#timeline li[data-action=dispatch]")).to_contain_text("派遣")
    shot(page, f"event-page-{viewport}.png")

    page.goto(f"{live_url}/events/{dup['id']}")  # merged into the main case by its reference
    page.fill("#master-id", str(main["ref"]))
    _act(page, "merge")
    expect(page.locator("#event-status")).to_have_text("已并案")

    page.goto(f"{live_url}/events/{junk['id']}")
    page.click("#void-form button[data-action=void]")
    expect(page.locator("#action-error")).to_have_text("「作废」须填写理由")
    page.fill("#void-note", "测试数据，非真实诉求")
    page.click("#void-form button[data-action=void]")
    expect(page.locator("#event-status")).to_have_text("已作废")

    page.context.clear_cookies()
    log_in(page, live_url, "ep_cg", PASSWORD)
    page.goto(f"{live_url}/events/{main['id']}")
    expect(page.locator("#timeline li[data-action=merged_in]")).to_contain_text("并入")
    _act(page, "sign")
    expect(page.locator("#event-status")).to_have_text("已签收")
    _act(page, "start")
    expect(page.locator("#event-status")).to_have_text("处置中")
    page.select_option("select[name=duration]", "3wd")
    _act(page, "request_extension", "灯杆需整体更换，等待配件")
    expect(page.locator(".facts")).to_contain_text("申请延期 3个工作日")
    _act(page, "report", "已更换灯杆和灯泡，恢复照明")
    expect(page.locator("#event-status")).to_have_text("待核查")

    page.context.clear_cookies()
    log_in(page, live_url, "ep_duty", PASSWORD)
    page.goto(f"{live_url}/events/{main['id']}")
    _act(page, "verify")
    expect(page.locator("#event-status")).to_have_text("待办结")
    _act(page, "close")
    expect(page.locator("#event-status")).to_have_text("已办结")
    texts = page.locator("#timeline").inner_text()
    for code in ("request_extension", "merged_in", "direct_report", "in_progress"):
        assert code not in texts
