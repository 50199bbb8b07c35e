"""渣土治理 in Chromium: the map page draws the day's track and the violation; the violation's row opens
its event, whose map carries the truck's track and whose facts name the truck and the nearest site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from cityops.core import clock
from tests.factories import PASSWORD, Login
from tests.muck.conftest import drive, new_site, new_truck, places, send, stand
from tests.muck.test_muck import T0, scan
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_truck_map_and_the_violation_event(
    client: TestClient, duty: Login, session: Session, live_url: str, page: Page, frozen: clock.FrozenClock
) -> None:
    field, site_at = places(session)
    new_site(client, duty, session, *site_at, name="演示渣土消纳场")
    new_truck(client, duty, session)
    send(client, duty, "GPS-0001", drive(T0, site_at, field, 10))
    send(client, duty, "GPS-0001", stand(T0 + timedelta(minutes=10), field, 11))
    assert scan(client, duty) == 1

    log_in(page, live_url, duty.username, PASSWORD)
    page.click("#nav-muck")
    page.wait_for_function("() => window.cityops && window.cityops.muckMapReady === true")
    assert page.evaluate("() => window.cityops.muckTracks") == 1
    assert page.evaluate("() => window.cityops.muckViolations") == 1
    expect(page.locator("#muck-trucks")).to_contain_text("渝A12345")
    expect(page.locator("#muck-sites")).to_contain_text("演示渣土消纳场")
    expect(page.locator("[data-kpi=violations] .value")).to_have_text("1")
    row = page.locator("#muck-violations tbody tr[data-kind=dumping]")
    expect(row).to_contain_text("疑似偷倒")
    shot(page, "muck-map.png")
    row.locator("a").click()
    page.wait_for_function("() => window.cityops && window.cityops.eventMapReady === true")
    assert page.evaluate("() => window.cityops.eventTrack") >= 20
    expect(page.locator("#muck-facts")).to_contain_text("渝A12345")
    expect(page.locator("#muck-facts")).to_contain_text("演示渣土消纳场")
    expect(page.locator("#assigned-to")).to_have_text("沙坪坝区城市管理局")
    shot(page, "muck-event.png")
    page.goto(f"{live_url}/muck?lang=en")
    expect(page.locator("#muck h1")).to_contain_text("Muck trucks")
    expect(page.locator("#muck-sites")).to_contain_text("Disposal site")
    expect(page.locator("#muck-violations")).to_contain_text("Suspected illegal dumping")
