"""风险清单 in Chromium: the register list filters; a hazard registered on its point's page goes through
rectification from its own page (plan, start, acceptance, 409 reasons shown, 挂牌督办, re-inspection, 销号);
an inspection is recorded from its form with a photo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, login, make_user
from tests.risks.conftest import DISTRICT, STREET, new_point
from tests.risks.test_inspections import PNG
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_the_register_list_filters(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    duty = login(client, factory, "rkp_list", [Role.dispatcher, Role.leader], unit_code=STREET)
    new_point(client, duty, session, name="较场口危岩", likelihood=5, consequence=5)
    new_point(client, duty, session, name="八一路燃气站", category="gas.station", likelihood=2, consequence=2)
    new_point(client, duty, session, name="洪崖洞商圈", category="crowd.venue", likelihood=3, consequence=4)
    make_user(factory, "rkp_viewer", [Role.dispatcher], unit_code=STREET)
    log_in(page, live_url, "rkp_viewer", PASSWORD)
    page.click("text=风险清单")
    expect(page.locator("#risk-list tbody tr")).to_have_count(3)
    page.select_option("#risk-filters select[name=level]", "major")
    page.click("#risk-filter-button")
    expect(page.locator("#risk-list tbody tr")).to_have_count(1)
    expect(page.locator("#risk-list")).to_contain_text("较场口危岩")
    expect(page.locator("#risk-list")).to_contain_text("重大风险")
    page.select_option("#risk-filters select[name=level]", "")
    page.select_option("#risk-filters select[name=category]", "gas")
    page.click("#risk-filter-button")
    expect(page.locator("#risk-list tbody tr")).to_have_count(1)
    expect(page.locator("#risk-list")).to_contain_text("八一路燃气站")
    page.fill("#risk-filters input[name=q]", "不存在")
    page.click("#risk-filter-button")
    expect(page.locator("#risk-list")).to_contain_text("暂无")
    shot(page, "risk-register.png")


def test_a_hazard_goes_through_rectification_from_its_page(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    duty = login(client, factory, "rkp_api", [Role.dispatcher, Role.leader], unit_code=STREET)
    point = new_point(client, duty, session, name="储奇门危岩")
    make_user(factory, "rkp_street", [Role.dispatcher, Role.handler], unit_code=STREET)
    make_user(factory, "rkp_district", [Role.dispatcher, Role.leader], unit_code=DISTRICT)
    log_in(page, live_url, "rkp_street", PASSWORD)
    page.goto(f"{live_url}/risks/points/{point['id']}")
    expect(page.locator("#point-level")).to_have_text("较大风险")
    page.fill("#hazard-form input[name=title]", "危岩体后缘裂缝扩展至5厘米")
    page.select_option("#hazard-form select[name=grade]", "major")
    page.click("#hazard-submit")
    page.wait_for_url("**/risks/hazards/**")
    expect(page.locator("#hazard-status")).to_have_text("登记")
    page.click('[data-action="start"]')
    expect(page.locator("#hazard-error")).to_contain_text("整改方案")
    plan = {
        "measures": "清危 12 立方米并挂网",
        "funds": "区级资金 38 万元",
        "unit": "区规划自然资源局",
        "person": "李工",
        "interim_measures": "封闭下方步道，专人值守",
    }
    for name, value in plan.items():
        page.fill(f"#plan-form input[name={name}]", value)
    page.fill("#plan-form input[name=deadline]", "2099-06-30")
    page.click("#plan-submit")
    expect(page.locator("#hazard-plan")).to_contain_text("区级资金 38 万元")
    page.click('[data-action="start"]')
    expect(page.locator("#hazard-status")).to_have_text("整改中")
    page.click('[data-action="request_acceptance"]')
    expect(page.locator("#hazard-status")).to_have_text("申请验收")
    hazard_url = page.url

    page.context.clear_cookies()
    log_in(page, live_url, "rkp_district", PASSWORD)
    page.goto(hazard_url)
    expect(page.locator("#hazard-missing")).to_contain_text("挂牌督办")
    page.click('[data-action="accept"]')
    expect(page.locator("#hazard-error")).to_contain_text("复查合格记录")
    expect(page.locator("#hazard-status")).to_have_text("申请验收")
    page.click('[data-action="supervise"]')
    expect(page.locator("#supervised")).to_be_visible()
    page.select_option("#reinspect-form select[name=result]", "pass")
    page.fill("#reinspect-form input[name=note]", "防护网锚固合格 / 2mm")  # typed with a slash
    page.click("#reinspect-submit")
    expect(page.locator("#hazard-missing")).to_have_count(0)
    page.click('[data-action="accept"]')
    expect(page.locator("#hazard-status")).to_have_text("销号")
    expect(page.locator("#hazard-log tbody tr")).to_have_count(7)
    # Every step of the history by name in Chinese, and its note without the English half beside it.
    history = page.locator("#hazard-log tbody").inner_text()
    for step in ("登记", "制定整改方案", "开始整改", "申请验收", "挂牌督办", "复查", "验收通过（销号）"):
        assert step in history, step
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"rkp_\w+", "", history)), history
    assert "复查合格：防护网锚固合格 / 2mm" in history  # a note someone typed is shown as typed
    shot(page, "risk-hazard.png")
    assert client.get("/api/risks/hazards", headers=duty.headers, params={"status": "closed"}).json()["total"] == 1


def test_an_inspection_is_recorded_from_its_form_with_a_photo(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page, tmp_path: Path
) -> None:
    duty = login(client, factory, "rkp_api2", [Role.dispatcher], unit_code=STREET)
    point = new_point(client, duty, session, name="沧白路危岩")
    insp = client.get("/api/risks/inspections", headers=duty.headers, params={"point_id": point["id"]}).json()["items"][
        0
    ]
    make_user(factory, "rkp_grid", [Role.grid_worker], unit_code=STREET)
    photo = tmp_path / "裂缝.png"
    photo.write_bytes(PNG)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_url, "rkp_grid", PASSWORD)
    page.goto(f"{live_url}/risks/inspections/{insp['id']}")
    rows = page.locator("#inspection-form tbody tr")
    expect(rows).to_have_count(5)
    for i in range(4):
        rows.nth(i).locator("input[value=ok]").check()
    page.click("#inspection-submit")
    expect(page.locator("#inspection-error")).to_contain_text("第 5 项")
    rows = page.locator("#inspection-form tbody tr")
    for i in range(4):
        rows.nth(i).locator("input[value=ok]").check()
    rows.nth(4).locator("input[value=fail]").check()
    rows.nth(4).locator("input[name=note_4]").fill("避险路线有杂物")
    page.set_input_files("#inspection-form input[name=photos]", str(photo))
    page.click("#inspection-submit")
    expect(page.locator("#inspection-verdict")).to_contain_text("不合格")
    expect(page.locator("#inspection-photos")).to_contain_text("裂缝.png")
    got = client.get(f"/api/risks/inspections/{insp['id']}", headers=duty.headers).json()
    assert got["result"] == "fail" and got["done_by"] == "rkp_grid"


def test_reassess_return_fix_and_raise_an_event_from_the_pages(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    duty = login(client, factory, "rkp_api3", [Role.dispatcher], unit_code=STREET)
    point = new_point(client, duty, session, name="较场口燃气干管", category="gas.pipeline")
    make_user(factory, "rkp_street3", [Role.dispatcher, Role.leader, Role.handler], unit_code=STREET)
    log_in(page, live_url, "rkp_street3", PASSWORD)
    page.goto(f"{live_url}/risks/points/{point['id']}")
    page.select_option("#reassess-form select[name=likelihood]", "5")
    page.select_option("#reassess-form select[name=consequence]", "5")
    page.click("#reassess-button")
    expect(page.locator(".error")).to_contain_text("理由")
    page.select_option("#reassess-form select[name=likelihood]", "5")
    page.select_option("#reassess-form select[name=consequence]", "5")
    page.fill("#reassess-form input[name=reasons]", "管线上方新建违章建筑")
    page.click("#reassess-button")
    expect(page.locator("#point-level")).to_have_text("重大风险")
    expect(page.locator('#assessments tr[data-trigger="manual"]')).to_contain_text("管线上方新建违章建筑")
    # A general hazard fixed on the spot.
    page.fill("#hazard-form input[name=title]", "标志桩缺失")
    page.click("#hazard-submit")
    page.wait_for_url("**/risks/hazards/**")
    page.click('[data-action="fix_on_spot"]')
    expect(page.locator("#hazard-status")).to_have_text("销号")
    # A general hazard with a deadline, returned once, and raised as an event for other departments.
    page.goto(f"{live_url}/risks/points/{point['id']}")
    page.fill("#hazard-form input[name=title]", "管线上方违章搭建")
    page.fill("#hazard-form input[name=deadline]", "2099-03-31")
    page.click("#hazard-submit")
    page.wait_for_url("**/risks/hazards/**")
    page.click('[data-action="start"]')
    page.click('[data-action="request_acceptance"]')
    page.locator('form:has([data-action="return"]) input[name=note]').fill("搭建物未拆除")
    page.click('[data-action="return"]')
    expect(page.locator("#hazard-status")).to_have_text("退回")
    page.fill("#to-event-form input[name=note]", "需城管执法拆除")
    page.click("#to-event-button")
    page.click("#hazard-event-link")
    page.wait_for_url("**/events/**")
    expect(page.locator("#event-detail")).to_contain_text("管线上方违章搭建")
