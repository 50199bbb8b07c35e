"""The grid worker's day in Chromium at a 390 px phone viewport: start a patrol, check in inside and outside
the grid (the second flagged), report a problem with a photo that the street's duty officer sees with its
thumbnail, fix another on the spot (counted in 就地解决率), fill an 一表通 form whose facts appear in two reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import PASSWORD, unit
from tests.grid.conftest import COMMUNITY, INSIDE, OUTSIDE, GridWorld, jpeg
from tests.grid.test_forms import make_two_reports
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_grid_worker_patrols_reports_and_fixes_on_the_spot(
    client: TestClient, world: GridWorld, live_url: str, page: Page, tmp_path: Path
) -> None:
    # The live server runs on the real clock: a plan whose window spans the whole day.
    r = client.post(
        f"/api/grids/{world.grid_id}/patrol-plans",
        headers=world.duty.headers,
        json={
            "name": "邹容路全天巡查",
            "checkpoints": [{"name": "邹容路口"}],
            "window_start": "00:00",
            "window_end": "23:59",
        },
    )
    plan_id = r.json()["id"]
    before, after, evidence = tmp_path / "before.jpg", tmp_path / "after.jpg", tmp_path / "garbage.jpg"
    before.write_bytes(jpeg())
    after.write_bytes(jpeg(size=(400, 300)))
    evidence.write_bytes(jpeg(gps=INSIDE))

    page.set_viewport_size({"width": 390, "height": 844})
    page.context.grant_permissions(["geolocation"], origin=live_url)
    page.context.set_geolocation({"longitude": INSIDE[0], "latitude": INSIDE[1]})
    log_in(page, live_url, "g_worker", PASSWORD)
    page.click("#nav-m")
    page.click(f'[data-start="{plan_id}"]')
    expect(page.locator("#running-patrol")).to_be_visible()

    page.click("#checkin-form [data-locate]")  # the phone's own position (inside the grid)
    expect(page.locator("#checkin-form [data-geo=lon]")).to_have_value(f"{INSIDE[0]:.6f}")
    page.click("#checkin-button")
    expect(page.locator('#checkins li[data-position="inside"]')).to_contain_text("网格内")
    page.fill("#checkin-form [data-geo=lon]", str(OUTSIDE[0]))
    page.fill("#checkin-form [data-geo=lat]", str(OUTSIDE[1]))
    page.click("#checkin-button")
    expect(page.locator('#checkins li[data-position="outside"]')).to_contain_text("网格外")
    expect(page.locator("#patrol-flagged")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot(page, "grid-patrol-phone.png")

    page.click("#report-link")
    expect(page.locator("#during-patrol")).to_be_visible()
    page.select_option("select[name=category]", "city_appearance.exposed_garbage")
    page.fill("textarea[name=description]", "邹容路口垃圾桶满溢，垃圾堆放在人行道")
    page.set_input_files("input[name=photos]", str(evidence))
    page.click("#report-submit")
    page.wait_for_url("**/m/reports")
    first = page.locator("#my-reports li").first
    expect(first).to_contain_text("待受理")
    expect(first.locator(".thumbs img")).to_have_count(1)

    page.click("#m-tabs a[href='/m/report']")
    page.select_option("select[name=category]", "city_appearance.exposed_garbage")
    page.fill("textarea[name=description]", "人行道散落纸箱")
    page.set_input_files("input[name=photos]", str(before))
    page.check("#on-spot")
    page.fill("input[name=note]", "已清理并装袋")
    page.click("#report-submit")  # no after photo: refused, the form keeps what was typed
    expect(page.locator("#m-error")).to_contain_text("处置前、处置后照片")
    expect(page.locator("textarea[name=description]")).to_have_value("人行道散落纸箱")
    page.set_input_files("input[name=photos]", str(before))
    page.set_input_files("input[name=after_photos]", str(after))
    page.click("#report-submit")
    page.wait_for_url("**/m/reports")
    fixed = page.locator("#my-reports li").first
    expect(fixed).to_contain_text("就地解决")
    expect(fixed).to_contain_text("已办结")
    expect(fixed.locator(".thumbs img")).to_have_count(2)
    shot(page, "grid-reports-phone.png")

    reported = client.get("/api/grid-reports/mine", headers=world.worker.headers).json()[-1]
    page.context.clear_cookies()
    log_in(page, live_url, "g_duty", PASSWORD)
    page.goto(f"{live_url}/events/{reported['event_id']}")
    thumb = page.locator("#event-photos img")
    expect(thumb).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#event-photos img').naturalWidth > 0")
    assert page.locator("#event-photos img").evaluate("img => img.naturalWidth") == 320  # the thumbnail
    shot(page, "grid-event-photo.png")
    page.goto(f"{live_url}/cockpit")
    expect(page.locator('#grid-kpis [data-kpi="on_spot_rate"] .value')).to_have_text("50.0%")
    page.click("#grid-page-link")
    expect(page.locator("#roster")).to_contain_text("g_worker")
    expect(page.locator("#flagged-patrols li")).to_have_count(1)
    shot(page, "grid-street.png")


def test_grid_worker_fills_one_form_whose_facts_appear_in_two_reports(
    client: TestClient, world: GridWorld, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    first, second = make_two_reports(client, factory, session)
    body = {"community_id": unit(session, COMMUNITY).id, "kind": "person", "label": "邹容路12号 王某某"}
    rid = client.post("/api/base-records", headers=world.duty.headers, json=body).json()["id"]

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_url, "g_worker", PASSWORD)
    page.goto(f"{live_url}/m/forms")
    page.click(f'[data-template="{first}"] a[data-record="{rid}"]')
    page.fill("input[name=f_age]", "八十二")
    page.click("#fill-submit")
    expect(page.locator("#m-error")).to_contain_text("须为数字")
    page.fill("input[name=f_age]", "82")
    page.fill("input[name=f_contact_phone]", "13800002222")
    page.fill("input[name=f_lives_alone]", "是")
    page.click("#fill-submit")
    expect(page.locator("#form-saved")).to_be_visible()

    page.click("#m-tabs a[href='/m/forms']")
    page.click(f'[data-template="{second}"] a[data-record="{rid}"]')  # the second report asks nothing twice
    expect(page.locator("input[name=f_age]")).to_have_value("82")
    expect(page.locator('label[data-field="contact_phone"] .reused')).to_contain_text("g_worker")
    page.fill("input[name=f_shelter]", "解放碑小学")
    page.click("#fill-submit")
    expect(page.locator("#form-saved")).to_be_visible()
    shot(page, "grid-form-phone.png")

    for template_id, extra in ((first, {"lives_alone": "是"}), (second, {"shelter": "解放碑小学"})):
        rows = client.get(f"/api/form-templates/{template_id}/report", headers=world.duty.headers).json()["rows"]
        assert rows[0]["values"] == {"age": "82", "contact_phone": "13800002222", **extra}


def test_a_grid_worker_reports_a_missing_manhole_cover_with_its_type(
    client: TestClient, world: GridWorld, live_url: str, page: Page
) -> None:
    """The category's own field (井盖类型) appears when the category is chosen and is stored with the report."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_url, "g_worker", PASSWORD)
    page.goto(f"{live_url}/m/report")
    kind = page.locator("input[name='attributes.manhole_type']")
    page.select_option("select[name=category]", "city_appearance.exposed_garbage")
    expect(kind).to_be_hidden()
    page.select_option("select[name=category]", "municipal.manhole_missing")
    expect(kind).to_be_visible()
    page.fill("textarea[name=description]", "邹容路人行道井盖缺失，有踩空的危险")
    page.click("#report-submit")  # the type left empty: refused, naming it, what was typed kept
    expect(page.locator("#m-error")).to_contain_text("井盖类型")
    expect(page.locator("textarea[name=description]")).to_have_value("邹容路人行道井盖缺失，有踩空的危险")
    kind.fill("雨水井盖")
    page.click("#report-submit")
    page.wait_for_url("**/m/reports")
    reported = client.get("/api/grid-reports/mine", headers=world.worker.headers).json()[-1]
    event = client.get(f"/api/events/{reported['event_id']}", headers=world.duty.headers).json()
    assert event["category"] == "municipal.manhole_missing"
    assert event["attributes"] == {"manhole_type": "雨水井盖"}
    # Where it is, in words: the grid's name alone ("第1网格") is every community's.
    assert event["unit_place"].startswith("渝中区 › 解放碑街道 › ") and event["unit_place"].endswith(event["unit_name"])
    assert event["unit_place"].count(" › ") == 3  # district › street › community › grid
    page.context.clear_cookies()
    log_in(page, live_url, "g_duty", PASSWORD)
    page.goto(f"{live_url}/events")
    expect(page.locator("table tbody tr", has_text=event["ref"])).to_contain_text(event["unit_place"])
    page.context.clear_cookies()
    log_in(page, live_url, "g_worker", PASSWORD)
    # The street's cockpit shows the worker the grid figures, but no link to the centre's own grid page (a 403).
    page.goto(f"{live_url}/cockpit")
    expect(page.locator("h2.section-title", has_text="基层智治")).to_be_visible()
    expect(page.locator("#grid-page-link")).to_have_count(0)
