"""Runways and KPIs: Chongqing's real GDP targets and results with their quotes; a street's on-time KPI
turning red under a frozen clock raises one risk prompt; the indicator page draws trend and target."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events import deadlines
from cityops.indicators import service
from cityops.indicators.models import Indicator
from tests.factories import PASSWORD, login, make_user, report, unit
from tests.web.conftest import log_in, shot


def _gdp_growth(session: Session) -> int:
    found = session.scalar(select(Indicator.id).where(Indicator.code == "economy.gdp_g"))
    assert found is not None
    return int(found)


def test_gdp_growth_shows_targets_results_and_quotes(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    leader = login(client, factory, "econ_leader", [Role.leader], unit_code="500000")
    detail = client.get(f"/api/indicators/{_gdp_growth(session)}", headers=leader.headers).json()
    assert detail["name"] == "地区生产总值增速" and detail["unit"] == "%"
    years = {v["period"]: v for v in detail["history"]}
    for year, result in (("2024", 5.7), ("2025", 5.3)):
        v = years[year]
        assert v["target"] == 6 and v["comparator"] == "~" and v["value"] == result
        assert v["status"] in ("amber", "red")  # below target
        assert v["provenance"]["target"]["raw"] in ("6%左右", "6左右")
        assert str(result) in v["provenance"]["value"]["quote"]
    assert years["2021"]["status"] == "green"  # 8.3 against 6以上
    boards = client.get("/api/boards", headers=leader.headers).json()
    economy = next(b for b in boards if b["code"] == "economy")
    assert len(economy["runways"][0]["indicators"]) > 50


def test_street_on_time_kpi_turns_red_and_prompts_once(
    client: TestClient, factory: sessionmaker[Session], session: Session, frozen: clock.FrozenClock
) -> None:
    citizen = login(client, factory, "kpi_citizen", [Role.citizen])
    street = login(client, factory, "kpi_street", [Role.dispatcher], unit_code="500103003")
    report(client, citizen.headers, category="city_appearance.street_vending", description="步行街占道经营")
    with session_scope(factory) as s:
        service.compute(s, clock.now())
    assert client.get("/api/risk-prompts", headers=street.headers).json() == []
    frozen.advance(hours=5)  # nobody accepts it: the accept deadline passes
    with session_scope(factory) as s:
        assert deadlines.sweep(s, clock.now()).overdue == 1
    for _ in range(2):  # computed twice: one prompt
        with session_scope(factory) as s:
            service.compute(s, clock.now())
    prompts = client.get("/api/risk-prompts", headers=street.headers).json()
    # the one open event is overdue: 按期办结率 0% and 超期率 100%, one prompt each
    assert sorted(p["text"].split("「")[1].split("」")[0] for p in prompts) == ["按期办结率", "超期率"]
    assert all("解放碑街道" in p["text"] for p in prompts)
    on_time = session.scalar(select(Indicator.id).where(Indicator.code == "on_time_rate"))
    detail = client.get(
        f"/api/indicators/{on_time}", headers=street.headers, params={"unit_id": unit(session, "500103003").id}
    ).json()
    assert detail["history"][-1]["status"] == "red" and detail["history"][-1]["value"] == 0
    other = login(client, factory, "kpi_other", [Role.dispatcher], unit_code="500103001")
    assert client.get("/api/risk-prompts", headers=other.headers).json() == []


@pytest.mark.browser
def test_runway_page_draws_trend_and_target(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page
) -> None:
    make_user(factory, "econ_web", [Role.leader], unit_code="500000")
    log_in(page, live_url, "econ_web", PASSWORD)
    page.goto(f"{live_url}/runways")
    expect(page.locator("#boards")).to_contain_text("经济运行监测")
    page.goto(f"{live_url}/indicators/{_gdp_growth(session)}")
    page.wait_for_function("() => window.cityops && window.cityops.ready === true")  # a function: no eval under CSP
    series = page.evaluate("window.cityops.indicatorChart.getOption().series.map(s => s.name)")
    assert series == ["实际 actual", "目标 target"]
    targets = page.evaluate("window.cityops.indicatorChart.getOption().series[1].data")
    assert 6 in targets
    expect(page.locator("tr[data-period='2024']")).to_contain_text("增长 5.7%")
    expect(page.locator("tr[data-period='2024']")).to_contain_text("未达目标")
    shot(page, "indicator-gdp.png")
