"""In Chromium: a street searches the catalogue, requests a city department's data, the department's
data_admin approves part of it from 待我答复, and the street reads exactly the granted items; the street files a
纠错, the provider revokes the grant and the street's read is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog.models import DataGrant
from cityops.core import audit
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from cityops.events.calendar import CST
from tests.catalog.conftest import STREET_A, USE_FROM, USE_UNTIL, World, request_body
from tests.factories import PASSWORD, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_search_request_approve_read(
    client: TestClient, factory: sessionmaker[Session], world: World, live_url: str, page: Page
) -> None:
    report(client, world.duty.headers, unit_code=STREET_A)
    log_in(page, live_url, world.street.username, PASSWORD)
    page.click("text=数据目录")
    page.fill("#catalog-search input[name=q]", "城市管理 事件")
    page.click("#catalog-search button")
    page.click("#catalog-results >> text=城市管理领域事件统计（按镇街、按日）")
    expect(page.locator("#entry-title")).to_contain_text("城市管理领域事件统计")
    for label in ("统计日期", "事件分类名称", "受理量"):
        page.check(f"#request-form label:has-text('{label}') input")
    page.fill("#request-form textarea[name=purpose]", "街道网格化治理研判：分析辖区城市管理类事件高发点位")
    page.fill("#request-form input[name=use_from]", USE_FROM)
    page.fill("#request-form input[name=use_until]", USE_UNTIL)
    page.click("#request-submit")
    expect(page.locator("#request-state")).to_have_text("待答复")
    ref = page.locator("h1").inner_text().split()[-1]
    shot(page, "catalog_request.png")

    page.context.clear_cookies()
    log_in(page, live_url, world.provider.username, PASSWORD)
    page.goto(f"{live_url}/catalog/requests?box=inbox")
    expect(page.locator("#request-list")).to_contain_text("答复时限（北京时间）")
    page.click(f"#request-list >> text={ref}")
    page.uncheck("#answer-form label:has-text('受理量') input")
    page.click("#answer-submit")
    expect(page.locator("#request-state")).to_have_text("已同意")
    expect(page.locator("#grant-facts")).to_contain_text("统计日期、事件分类名称")

    page.context.clear_cookies()
    log_in(page, live_url, world.street.username, PASSWORD)
    page.goto(f"{live_url}/catalog/requests?box=mine")
    page.click(f"#request-list >> text={ref}")
    page.click("#read-data")
    headers = page.locator("#granted-data thead th").all_inner_texts()
    assert headers == ["统计日期", "事件分类名称"]
    expect(page.locator("#granted-data tbody tr").first).to_contain_text("路灯")
    shot(page, "catalog_read.png")
    with session_scope(factory) as s:
        audit.sequence(s)  # what the worker's sequencer does within seconds
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.data_read")).all()
    assert [r.actor_id for r in reads] == [world.street.user_id]

    # the street reports a defect in the entry (纠错)
    page.goto(f"{live_url}/catalog/entries/{world.entry_id}")
    page.select_option("#correction-form select[name=field]", "summary")
    page.fill("#correction-form input[name=text]", "摘要未说明是否含已作废事件")
    page.click("#correction-submit")
    expect(page.locator("#correction-list")).to_contain_text("摘要未说明是否含已作废事件")

    # the provider revokes the grant; the street's read is then refused
    page.context.clear_cookies()
    log_in(page, live_url, world.provider.username, PASSWORD)
    page.goto(f"{live_url}/catalog/requests?box=inbox")
    page.click(f"#request-list >> text={ref}")
    page.fill("#revoke-form input[name=reason]", "超出约定用途")
    page.click("#revoke-submit")
    expect(page.locator("#grant-facts")).to_contain_text("已撤销")
    page.context.clear_cookies()
    log_in(page, live_url, world.street.username, PASSWORD)
    page.goto(f"{live_url}/catalog/requests?box=mine")
    page.click(f"#request-list >> text={ref}")
    expect(page.locator("#read-data")).to_have_count(0)
    with session_scope(factory) as s:
        grant_id = s.scalars(select(DataGrant.id)).one()
    refused = page.goto(f"{live_url}/catalog/grants/{grant_id}")
    assert refused is not None and refused.status == 403
    expect(page.locator("body")).to_contain_text("授权已撤销")


def test_a_grant_not_yet_begun_says_when_it_can_be_read(
    client: TestClient, factory: sessionmaker[Session], world: World, live_url: str, page: Page
) -> None:
    start = (datetime.now(CST).date() + timedelta(days=10)).isoformat()
    body = request_body(world.entry_id, [], use_from=start)
    r = client.post("/api/catalog/requests", headers=world.street.headers, json=body)
    assert r.status_code == 201, r.text
    answer = client.post(
        f"/api/catalog/requests/{r.json()['id']}/answer", headers=world.provider.headers, json={"decision": "approve"}
    )
    assert answer.status_code == 200, answer.text
    log_in(page, live_url, world.street.username, PASSWORD)
    page.goto(f"{live_url}/catalog/requests/{r.json()['id']}")
    expect(page.locator("#request-state")).to_have_text("已同意")
    expect(page.locator("#grant-not-yet")).to_have_text(f"授权自 {start} 起可读取。")
    expect(page.locator("#read-data")).to_have_count(0)  # no button that could only answer 403
