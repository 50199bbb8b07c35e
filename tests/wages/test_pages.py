"""根治欠薪 in Chromium: on the employer page a payment is recorded on the project's wage account and a
12345 complaint is taken; its case page shows the owed amount and the district's 人力社保; closing on the
event page is refused until the recovery is recorded on the case page (a bad amount is explained first);
then the case closes and the employer page lists it with the amount recovered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.factories import PASSWORD
from tests.wages.conftest import Cast, act, employer, project
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_wage_case_from_complaint_to_closing_in_the_browser(
    client: TestClient, cast: Cast, session: Session, live_url: str, page: Page
) -> None:
    emp = employer(client, cast.district, session)
    proj = project(client, cast.district, session, emp["id"])
    log_in(page, live_url, "spb_duty", PASSWORD)
    page.click("#nav-wages")
    expect(page.locator("#employers")).to_contain_text(emp["name"])
    page.click(f"text={emp['name']}")
    expect(page.locator("#credit-code")).to_have_text(emp["credit_code"])

    block = page.locator(f"#project-{proj['id']}")
    pay = block.locator("form.payment-form")
    pay.locator("input[name=paid_on]").fill("2026-02-10")
    pay.locator("input[name=wage_month]").fill("2026-01")
    pay.locator("input[name=workers]").fill("18")
    pay.locator("input[name=amount_yuan]").fill("82000")
    pay.locator("button[type=submit]").click()
    expect(block.locator("table.payments")).to_contain_text("82,000.00")
    expect(block.locator(".last-paid")).to_contain_text("2026-02-10")

    form = block.locator("form.complaint-form")
    form.locator("select[name=channel]").select_option("hotline")
    form.locator("input[name=workers]").fill("6")
    form.locator("input[name=amount_owed_yuan]").fill("45600")
    form.locator("input[name=reporter_name]").fill("王师傅")
    form.locator("input[name=reporter_phone]").fill("13800001234")
    form.locator("textarea[name=description]").fill("12345来电：6名木工被拖欠1月工资")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/wages/cases/**")
    expect(page.locator("#case-owed")).to_have_text("45,600.00")
    expect(page.locator("#case-owner")).to_have_text("沙坪坝区人力资源和社会保障局")
    expect(page.locator("#close-hint")).to_be_visible()
    event_id = int(page.url.rsplit("/", 1)[-1])

    for who, action in (
        (cast.district, "accept"),
        (cast.district, "dispatch"),
        (cast.hrss, "sign"),
        (cast.hrss, "start"),
    ):
        assert act(client, who.headers, event_id, action).status_code == 200, action
    assert act(client, cast.hrss.headers, event_id, "report", note="已督促支付").status_code == 200
    assert act(client, cast.district.headers, event_id, "verify", note="工人确认").status_code == 200

    page.click("#to-event")
    expect(page.locator("#wage-case-link")).to_be_visible()
    page.click("button[data-action=close]")
    expect(page.locator("#action-error")).to_contain_text("追回金额和支付日期")
    page.click("#wage-case-link")
    page.fill("#recovery-form input[name=amount_recovered_yuan]", "四万")
    page.fill("#recovery-form input[name=paid_on]", "2026-02-28")
    page.click("#save-recovery")
    expect(page.locator("#page-error")).to_contain_text("数字")
    page.fill("#recovery-form input[name=amount_recovered_yuan]", "45600")
    page.fill("#recovery-form input[name=paid_on]", "2026-02-28")
    page.click("#save-recovery")
    expect(page.locator("#case-recovered")).to_have_text("45,600.00")
    expect(page.locator("#case-paid-on")).to_have_text("2026-02-28")
    shot(page, "wage-case.png")
    page.click("#to-event")
    page.click("button[data-action=close]")
    expect(page.locator("#event-status")).to_have_text("已办结")

    page.goto(f"{live_url}/wages/employers/{emp['id']}")
    row = page.locator("#employer-cases tbody tr").first
    expect(row).to_contain_text("45,600.00")
    expect(row).to_contain_text("已办结")
    shot(page, "wage-employer.png")
    page.click("#nav-wages")
    expect(page.locator("[data-kpi=cases] .value")).to_have_text("1")
    expect(page.locator("[data-kpi=closure_rate] .value")).to_have_text("100.0%")
    page.goto(f"{live_url}/wages/cases/{event_id}?lang=en")  # the English side is complete too
    expect(page.locator("#wage-case h1")).to_contain_text("Wage case")
    expect(page.locator("#wage-case")).to_contain_text("12345 hotline")
    page.goto(f"{live_url}/wages/employers/{emp['id']}")
    expect(page.locator("#employer-cases")).to_contain_text("Complaint")
    expect(page.locator(".account-status")).to_contain_text("normal")
