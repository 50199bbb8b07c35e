"""应急预案 in Chromium: a street's duty officer starts a drill for the street by hand, finds its task in the
to-do list, does it on the run's page, and cannot close the run while another level's task is pending."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.plans.models import PlanRun
from tests.factories import PASSWORD, make_user
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_drill_started_by_hand_is_done_from_its_own_page(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    make_user(factory, "pl_duty", [Role.dispatcher], unit_code="500103003")
    log_in(page, live_url, "pl_duty", PASSWORD)
    page.click("#nav-plans")
    expect(page.locator("#no-runs")).to_be_visible()
    page.select_option("select[name=plan_key]", label="高楼火灾应急预案")
    expect(page.locator("#drill")).to_be_checked()  # a drill unless the officer clears it
    page.fill("input[name=reason]", "季度消防演练")
    page.click("#start-plan")
    page.wait_for_url("**/plan-runs/**")
    expect(page.locator(".plan-run h2")).to_contain_text("高楼火灾应急预案")
    expect(page.locator(".plan-run h2")).to_contain_text("【演练】")
    expect(page.locator("#run-facts")).to_contain_text("解放碑街道")
    expect(page.locator("#run-facts")).to_contain_text("季度消防演练")
    run_url = page.url
    with factory() as s:
        run = s.scalars(select(PlanRun)).one()
        assert run.is_drill and run.event_id is None and run.reason == "季度消防演练"

    page.goto(f"{live_url}/todo")  # the task is in the to-do list and leads to the run's page
    task = page.locator('tr[data-kind="plan.task"]', has_text="组织楼内人员经安全通道疏散")
    expect(task).to_contain_text("【演练】")
    task.locator("a").first.click()
    page.wait_for_url(run_url)

    evacuate = page.locator('.plan-run tr[data-step="evacuate"]')
    evacuate.locator('[data-step-action="skip"]').click()  # a skip needs its reason: told on this page
    expect(page.locator("#run-error")).to_have_text("跳过须说明理由")
    evacuate.locator("input[name=note]").fill("三栋楼疏散完毕，清点 212 人")
    evacuate.locator('[data-step-action="done"]').click()
    page.wait_for_url(run_url)
    expect(page.locator('.plan-run tr[data-step="evacuate"]')).to_contain_text("已完成")
    expect(page.locator('.plan-run tr[data-step="rescue"] [data-step-action]')).to_have_count(0)  # the district's

    page.fill("#close-run-form input[name=note]", "演练结束")
    page.click("#close-run")
    expect(page.locator("#run-error")).to_contain_text("尚有必做步骤未完成")
    expect(page.locator(".plan-run h2")).to_contain_text("进行中")

    page.goto(f"{live_url}/plans")
    row = page.locator("#plan-runs tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("【演练】高楼火灾应急预案")
    expect(row).to_contain_text("解放碑街道")
