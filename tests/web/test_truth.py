"""The cockpit tells the truth at every level, in a real Chromium: a street's runways are the street's own
figures; tile, runway and indicator page show one 按期办结率 with its period; a district's map is zoomed to
the district with its event points and layer toggles; a street has no invented map; the feed and tiles are
in China time and update without a reload; the wall mode fits 1920×1080."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.events.calendar import CST
from tests.factories import PASSWORD, Login, department_id, login, make_user, report, unit
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
STREET, DISTRICT = "500103003", "500103"  # 解放碑街道, 渝中区


def _act(client: TestClient, who: Login, eid: object, action: str, **body: object) -> None:
    r = client.post(f"/api/events/{eid}/actions/{action}", headers=who.headers, json=body)
    assert r.status_code == 200, (action, r.text)


def _seed(client: TestClient, factory: sessionmaker[Session], session: Session) -> dict[str, Login]:
    """Three events in 解放碑街道 (one closed, with coordinates), one elsewhere in 渝中区, two in 沙坪坝区."""
    citizen = login(client, factory, "t_citizen", [Role.citizen])
    duty = login(client, factory, "t_duty", [Role.dispatcher], unit_code=DISTRICT)
    cg = department_id(session, DISTRICT, "urban_management")
    handler = login(client, factory, "t_cg", [Role.handler], unit_code=DISTRICT, department_id=cg)
    ids = [
        report(client, citizen.headers, address=f"渝中区解放碑街道临江支路{i}号", lon=106.577, lat=29.557)["id"]
        for i in range(3)
    ]
    report(client, citizen.headers, address="渝中区七星岗街道中山一路")
    for i in range(2):
        report(client, citizen.headers, address=f"沙坪坝区小龙坎街道{i}号")
    for action, who in (("accept", duty), ("dispatch", duty), ("sign", handler), ("start", handler)):
        _act(client, who, ids[0], action)
    _act(client, handler, ids[0], "report", note="已修复")
    _act(client, duty, ids[0], "verify", note="核查通过")
    _act(client, duty, ids[0], "close")
    make_user(factory, "t_street", [Role.dispatcher], unit_code=STREET)
    make_user(factory, "t_district", [Role.dispatcher], unit_code=DISTRICT)
    make_user(factory, "t_city", [Role.leader], unit_code="500000")
    return {"citizen": citizen, "duty": duty, "handler": handler}


def _indicator_value(page: Page, code: str) -> str:
    return page.locator(f"li.ind[data-code={code}] .value").inner_text()


def test_a_streets_runways_are_its_own_figures_not_the_citys(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    _seed(client, factory, session)
    street = login(client, factory, "t_street_api", [Role.dispatcher], unit_code=STREET)
    own = client.get("/api/metrics", headers=street.headers).json()["figures"]
    assert own["received"] == 3 and own["closed"] == 1
    log_in(page, live_url, "t_street", PASSWORD)
    page.goto(f"{live_url}/runways")
    expect(page.locator("#runways-unit")).to_have_text("解放碑街道")
    assert _indicator_value(page, "received") == f"{own['received']}件"
    expect(page.locator("li.ind[data-code=received] .scope")).to_have_text("解放碑街道")
    assert _indicator_value(page, "on_time_rate") == f"{own['on_time_rate'] * 100:.1f}%"
    # the city's leader sees the city's count: different, and each names whose figure it is
    page.context.clear_cookies()
    log_in(page, live_url, "t_city", PASSWORD)
    page.goto(f"{live_url}/runways")
    assert _indicator_value(page, "received") == "6件"
    page.context.clear_cookies()
    log_in(page, live_url, "t_street", PASSWORD)
    page.goto(f"{live_url}/runways")  # report figures exist for the city only: labelled city-wide
    expect(page.locator("li.ind[data-code='economy.gdp_g'] .scope")).to_have_text("全市数据")


def test_tile_runway_and_indicator_page_show_one_on_time_rate_with_its_period(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    _seed(client, factory, session)
    log_in(page, live_url, "t_district", PASSWORD)
    tile = page.locator("[data-kpi=on_time_rate]")
    value = tile.locator(".value").inner_text()
    assert re.fullmatch(r"\d+\.\d%", value), value
    expect(tile.locator(".period")).to_have_text("近30日（含今日）")
    page.goto(f"{live_url}/runways")
    assert _indicator_value(page, "on_time_rate") == value
    expect(page.locator("li.ind[data-code=on_time_rate] .period")).to_contain_text("近30日（含今日）")
    page.locator("li.ind[data-code=on_time_rate] a").click()
    expect(page.locator("#current-value")).to_have_text(value)
    expect(page.locator("#current .period")).to_contain_text("近30日（含今日）")
    # counts are whole numbers with their unit, fractions are percentages (never "0.4%" or "3.0个")
    page.goto(f"{live_url}/runways")
    assert re.fullmatch(r"\d+个", _indicator_value(page, "geohazard_alarms"))
    page.locator("li.ind[data-code=satisfaction] a").click()
    expect(page.locator("#current-value")).to_have_text("—")  # nobody rated yet: no figure, not 0%
    page.wait_for_function("() => window.cityops && window.cityops.ready === true")


def test_district_map_is_zoomed_to_the_district_with_layers_and_toggles(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    _seed(client, factory, session)
    # A risk point of the 风险清单 in the district: the risk layer (registered by one line) shows it too.
    from tests.risks.conftest import new_point

    risk_admin = login(client, factory, "t_risk_admin", [Role.dispatcher], unit_code=DISTRICT)
    new_point(client, risk_admin, session, unit_id=unit(session, DISTRICT).id, address="渝中区沧白路")
    log_in(page, live_url, "t_district", PASSWORD)
    page.wait_for_function("() => window.cityops && window.cityops.mapReady === true")
    chart = "window.cityops.charts.map"
    regions = page.evaluate(f"{chart}.getModel().getComponent('geo').coordinateSystem.regions.map(r => r.name)")
    assert regions == ["渝中区"]  # its own polygon only, so the map fits the district
    box = page.locator("#map").bounding_box()
    assert box is not None
    yz, wz = unit(session, DISTRICT), unit(session, "500101")
    x, y = page.evaluate(f"([lon, lat]) => {chart}.convertToPixel({{geoIndex: 0}}, [lon, lat])", [yz.lon, yz.lat])
    assert 0 < x < box["width"] and 0 < y < box["height"]
    far = page.evaluate(f"([lon, lat]) => {chart}.convertToPixel({{geoIndex: 0}}, [lon, lat])", [wz.lon, wz.lat])
    assert not (0 < far[0] < box["width"] and 0 < far[1] < box["height"])  # 万州区 is far off this map
    counts = page.evaluate("window.cityops.layerCounts")
    assert counts == {"events": 2, "devices": 0, "alarms": 0, "risk_points": 1}
    expect(page.locator("#layers [data-layer=events]")).to_contain_text("在办事件")
    legend = f"{chart}.getOption().legend[0]"
    assert page.evaluate(f"{legend}.data") == ["在办事件", "感知设备", "活动告警", "风险点"]
    shot(page, "cockpit-district.png")  # docs/img/cockpit-district.png is this picture
    page.locator("#layers input[value=events]").uncheck()
    page.wait_for_function(f"() => {legend}.selected['在办事件'] === false")
    # a street has no boundaries anywhere: no map, its communities ranked instead
    page.goto(f"{live_url}/cockpit/{unit(session, STREET).id}")
    expect(page.locator("#map")).to_have_count(0)
    expect(page.locator("#communities")).to_be_visible()
    expect(page.locator(".map-panel h2")).to_have_text("社区在办排名")


def test_feed_and_tiles_are_china_time_and_update_without_reload(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    seeded = _seed(client, factory, session)
    log_in(page, live_url, "t_district", PASSWORD)
    expect(page.locator("#live-dot.on")).to_have_count(1)
    expect(page.locator(".feed-panel h2").first).to_contain_text("北京时间（UTC+8）")
    before = page.locator("[data-kpi=received_today] .value").inner_text()
    stamp = page.locator("#updated-at").inner_text()
    created = report(client, seeded["citizen"].headers, address="渝中区解放碑街道邹容路1号", lon=106.578, lat=29.558)
    item = page.locator(f"#feed li[data-event-id='{created['id']}']")
    expect(item).to_contain_text(str(created["ref"]))
    # The event's own time in China time (read back, not the clock after the report: a report made at 05:53:59
    # is shown as 05:53 however late the test looks).
    local = datetime.fromisoformat(str(created["received_at"])).astimezone(CST).strftime("%H:%M")
    expect(item.locator("time")).to_have_text(local)
    expect(page.locator("[data-kpi=received_today] .value")).to_have_text(str(int(before) + 1))
    expect(page.locator("#updated-at")).not_to_have_text(stamp)
    page.wait_for_function("() => window.cityops.layerCounts.events === 3")  # the new point on the map


def test_wall_mode_fills_1920x1080_without_scrolling(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, browser: Browser
) -> None:
    _seed(client, factory, session)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_url, "t_district", PASSWORD)
        page.goto(f"{live_url}/cockpit/{unit(session, DISTRICT).id}?wall=1")
        page.wait_for_function("() => window.cityops && window.cityops.mapReady === true")
        size = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
            " document.body.scrollHeight]"
        )
        assert size[0] <= 1920 and size[1] <= 1080 and size[2] <= 1080, size
        bottom = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.panel')].map(p => p.getBoundingClientRect().bottom))"
        )
        assert 900 < bottom <= 1080  # the panels fill the screen down to its edge
        map_box = page.locator("#map").bounding_box()
        assert map_box is not None and map_box["height"] > 400
        shot(page, "cockpit-wall.png")
    finally:
        context.close()


def test_api_docs_render_with_the_network_off(live_url: str, page: Page) -> None:
    outside: list[str] = []

    def block(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if not url.startswith(live_url):
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    page.route("**/*", block)
    page.goto(f"{live_url}/docs")
    # The first /openapi.json builds the whole schema (201 paths: 1.3 s on a quiet machine), Swagger UI parses it:
    # more than the default 5 s when two suites share the machine (seen once on PostgreSQL: "loading").
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("cityops", timeout=30_000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
    page.goto(f"{live_url}/redoc")
    # ReDoc lays out the whole schema before the title: give it time on a loaded machine
    expect(page.locator("[role=menuitem]").first).to_be_visible(timeout=30_000)  # the operations are listed
    expect(page.locator("h1").first).to_contain_text("cityops", timeout=30_000)
    # ReDoc's sidebar tries its vendor's logo and hides the <img> when it fails: nothing else leaves
    assert [u for u in outside if u != "https://cdn.redoc.ly/redoc/logo-mini.svg"] == []
