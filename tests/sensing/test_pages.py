"""感知告警 in Chromium: the district cockpit announces the active critical alarm and lists the device and
alarm layers; the alarm list filters by severity, type, sector and status, and an alarm is acknowledged and
then cleared with notes from its row; the device page shows the latest value, its rules and a chart of its
rollups whose time range the picker changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, Login, make_user, unit
from tests.sensing.conftest import register
from tests.sensing.test_sensing import ROCK, at, post
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
GAS = {
    "code": "CQ-GP-0001",
    "type": "gas_pressure",
    "name": "解放碑燃气压力1号",
    "unit_code": "500103003",
    "lon": 106.575,
    "lat": 29.556,
    "sector": "气",
}


def _city(client: TestClient, gateway: Login) -> int:
    register(client, gateway, ROCK, GAS)
    rock = client.get("/api/devices", headers=gateway.headers, params={"type": "rock_displacement"}).json()["items"][0]
    client.put(
        f"/api/devices/{rock['id']}/rules",
        headers=gateway.headers,
        json={"rules": [{"id": "disp_rate", "per_hour": 100000}]},
    )
    history = [{"device": ROCK["code"], "ts": at(-590 + 20 * i), "value": 1.0 + i % 3} for i in range(29)]
    post(client, gateway, *history)  # ten hours of normal readings, the last ones within the hour
    post(client, gateway, {"device": ROCK["code"], "ts": at(-1), "value": 35.0})  # critical
    post(client, gateway, {"device": GAS["code"], "ts": at(-1), "value": 5.0})  # major, 气
    return int(rock["id"])


def test_alarms_are_worked_from_the_list_and_devices_charted(
    client: TestClient, gateway: Login, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    rock_id = _city(client, gateway)
    make_user(factory, "yz_alarm_duty", [Role.dispatcher, Role.leader], unit_code="500103")
    log_in(page, live_url, "yz_alarm_duty", PASSWORD)
    page.goto(f"{live_url}/cockpit/{unit(session, '500103').id}")
    banner = page.locator("#critical-alarms")
    expect(banner).to_contain_text("严重告警（1）")
    expect(banner).to_contain_text("鹅岭危岩1号 · 危岩位移超限 35mm")
    expect(page.locator("#layers")).to_contain_text("感知设备")
    expect(page.locator("#layers")).to_contain_text("活动告警")
    page.wait_for_function("() => window.cityops && window.cityops.layerCounts.alarms === 2")
    shot(page, "cockpit-critical-alarm.png")

    banner.locator("text=处理告警").click()
    rows = page.locator("#alarm-list tbody tr[data-alarm-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("严重")
    page.click("#nav-alarms")
    expect(rows).to_have_count(2)
    page.select_option("#alarm-filters select[name=sector]", "气")
    page.click("#alarm-filter-button")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("燃气压力过高")
    page.select_option("#alarm-filters select[name=sector]", "")
    page.select_option("#alarm-filters select[name=type]", "危岩位移超限")
    page.click("#alarm-filter-button")
    expect(rows).to_have_count(1)
    page.select_option("#alarm-filters select[name=type]", "")
    page.select_option("#alarm-filters select[name=severity]", "major")
    page.click("#alarm-filter-button")
    gas = rows.first
    expect(rows).to_have_count(1)

    gas.locator("input[name=note]").fill("已通知燃气公司到场检查")
    gas.locator("button.ack").click()
    expect(gas.locator(".status")).to_contain_text("活动·已确认")
    expect(gas).to_contain_text("已通知燃气公司到场检查")
    expect(page).to_have_url(f"{live_url}/sensing/alarms?severity=major")  # back to the filtered list
    gas.locator("input[name=note]").fill("调压阀已更换，压力恢复")
    gas.locator("button.clear").click()
    expect(gas.locator(".status")).to_contain_text("已清除·已确认")
    expect(gas).to_contain_text("调压阀已更换，压力恢复")
    expect(gas.locator("form")).to_have_count(0)  # nothing left to do
    page.select_option("#alarm-filters select[name=severity]", "")
    page.select_option("#alarm-filters select[name=status]", "ACTIVE_UNACK")
    page.click("#alarm-filter-button")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("鹅岭危岩1号")
    shot(page, "sensing-alarms.png")

    rows.first.locator("a", has_text="鹅岭危岩1号").click()
    expect(page).to_have_url(f"{live_url}/sensing/devices/{rock_id}")
    expect(page.locator("#latest-value")).to_contain_text("35 mm")
    expect(page.locator("#device-rules")).to_contain_text("危岩位移超限")
    expect(page.locator("#device-rules")).to_contain_text("达到 10mm → 重要，30mm → 严重；恢复 5mm")
    page.wait_for_function("() => window.cityops.deviceChart.rendered === 30")  # 24 h: every minute with readings
    page.select_option("#range", "1h")
    page.wait_for_url("**range=1h")
    page.wait_for_function("() => window.cityops.deviceChart.rendered === 3")  # the last hour's minutes
    expect(page.locator("#range")).to_have_value("1h")
    page.select_option("#range", "7d")
    page.wait_for_url("**range=7d")
    page.wait_for_function("() => window.cityops.deviceChart.rendered >= 10")  # hourly buckets
    shot(page, "sensing-device.png")
