"""The ledger: 贯通实战 is derived from use at three levels — events of 民呼我为's categories handled by the
city, a district and a street within 30 days — never from a checkbox: with the city and a district only it
is refused; the street's event makes it connected, and the hourly job records it with the reason. The
runway counts the ledger for the city and keeps the reports' figures with their quotes."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps import figures, usage
from cityops.apps.models import App
from cityops.core import audit, clock
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from cityops.events.models import Event
from cityops.indicators.models import Indicator, IndicatorValue
from tests.factories import login, report, unit

STREET, DISTRICT = "500103003", "500103"  # 解放碑街道, 渝中区


def _app_id(factory: sessionmaker[Session], code: str = "minhu") -> int:
    with session_scope(factory) as s:
        return int(s.scalars(select(App.id).where(App.code == code)).one())


def test_connected_is_derived_from_use_at_three_levels(client: TestClient, factory: sessionmaker[Session]) -> None:
    admin = login(client, factory, "ledger_admin", [Role.app_admin], unit_code="500000")
    citizen = login(client, factory, "ledger_citizen", [Role.citizen])
    app_id = _app_id(factory)
    launch = client.post(f"/api/apps/{app_id}/status", headers=admin.headers, json={"action": "launch", "reason": ""})
    assert launch.status_code == 422  # a reason is required
    launch = client.post(
        f"/api/apps/{app_id}/status", headers=admin.headers, json={"action": "launch", "reason": "市级验收通过"}
    )
    assert launch.status_code == 200 and launch.json()["app"]["status"] == "launched"
    # city: 公交服务 is the city transport commission's; district: 路灯 is 渝中区城市管理局's
    report(client, citizen.headers, category="traffic.bus_service", description="公交车长期晚点")
    report(client, citizen.headers, category="municipal.streetlight_fault", description="路灯不亮")
    detail = client.get(f"/api/apps/{app_id}", headers=admin.headers).json()
    levels = {lvl["level"]: lvl["uses"] for lvl in detail["usage"]["levels"]}
    assert levels == {"city": 1, "district": 1, "street": 0}
    assert detail["usage"]["connected"] is False and detail["usage"]["missing"] == ["street"]
    refused = client.post(
        f"/api/apps/{app_id}/status", headers=admin.headers, json={"action": "connect", "reason": "三级已部署"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "apps.not_connected"
    with session_scope(factory) as s:
        assert usage.derive(s, clock.now()) == []  # two levels are not enough for the job either
    # a street: 占道经营 is the street centre's own
    ev = report(client, citizen.headers, category="city_appearance.street_vending", description="占道经营")
    with session_scope(factory) as s:
        owner = s.scalars(select(Event.owner_unit_id).where(Event.ref == ev["ref"])).one()
    detail = client.get(f"/api/apps/{app_id}", headers=admin.headers).json()
    street = next(lvl for lvl in detail["usage"]["levels"] if lvl["level"] == "street")
    assert street["uses"] == 1 and street["units"][0]["unit_id"] == owner
    assert street["units"][0]["name"] == "解放碑街道"
    assert detail["usage"]["connected"] is True
    with session_scope(factory) as s:
        assert usage.derive(s, clock.now()) == [("minhu", "connected")]
    with session_scope(factory) as s:
        audit.sequence(s)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "apps.status_derived")).one()
        assert json.loads(entry.data)["to_status"] == "connected"
    history = client.get(f"/api/apps/{app_id}", headers=admin.headers).json()["history"]
    assert [h["to_status"] for h in history] == ["catalogued", "listed", "launched", "connected"]
    assert history[2]["actor"] == "ledger_admin" and history[2]["reason"] == "市级验收通过"
    assert "三级均有使用" in history[3]["reason"]
    with session_scope(factory) as s:  # 31 days later none of that use is in the period: back to 上线
        later = clock.now() + timedelta(days=31)
        assert not usage.usage(s, s.get(App, app_id), until=later).connected  # type: ignore[arg-type]
        assert usage.derive(s, later) == [("minhu", "launched")]


def test_the_ledger_runway_counts_the_ledger_with_the_reports_figures(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    admin = login(client, factory, "ledger_admin2", [Role.sysadmin], unit_code="500000")
    street_duty = login(client, factory, "ledger_street", [Role.dispatcher], unit_code=STREET)
    page = client.get("/api/apps", headers=street_duty.headers).json()  # every member of staff reads it
    names = {a["name"] for a in page["items"]}
    shipped = {"民呼我为", "突发事件直报快响", "危岩地灾风险管控", "高楼消防", "城市生命线", "经济运行监测"}
    assert shipped | {"根治欠薪", "渣土治理"} == names
    assert page["figures"] == {"catalogued": 8, "listed": 8, "launched": 0, "connected": 0}
    assert client.get("/api/apps?status=launched", headers=admin.headers).json()["total"] == 0
    assert client.get("/api/apps?q=生命线", headers=admin.headers).json()["total"] == 1
    with session_scope(factory) as s:
        assert figures.count(s, "listed") == 8
    app_id = _app_id(factory, "lifeline")
    dep = client.post(
        f"/api/apps/{app_id}/deployments", headers=admin.headers, json={"unit_id": _unit(factory, STREET)}
    )
    assert dep.status_code == 201 and dep.json()["level"] == "street"
    other = login(client, factory, "ledger_other", [Role.dispatcher], unit_code="500103001")
    seen = client.get(f"/api/apps/{app_id}", headers=other.headers).json()["deployments"]
    assert seen == []  # another street's deployment is not listed to 七星岗街道
    assert client.post(f"/api/apps/{app_id}/deployments", headers=other.headers, json={"unit_id": 1}).status_code == 403
    district_admin = login(client, factory, "ledger_yz_admin", [Role.app_admin], unit_code=DISTRICT)
    body = {"action": "launch", "reason": "区里想上线"}
    moved = client.post(f"/api/apps/{app_id}/status", headers=district_admin.headers, json=body)
    assert moved.status_code == 403  # the status is the city's record
    installed = client.post("/api/bundles/minhu/install", headers=district_admin.headers)
    assert installed.status_code == 403  # bundles change the whole city's platform
    here = {"unit_id": _unit(factory, DISTRICT)}
    assert client.post(f"/api/apps/{app_id}/deployments", headers=district_admin.headers, json=here).status_code == 201
    wages = {"code": "elderly_care", "name": "智慧养老", "family": "society", "level": "city"}
    assert client.post("/api/apps", headers=district_admin.headers, json=wages).status_code == 403
    made = client.post("/api/apps", headers=admin.headers, json=wages)
    assert made.status_code == 201 and made.json()["app"]["status"] == "catalogued"  # 编目, no bundle yet
    assert client.post("/api/apps", headers=admin.headers, json=wages).status_code == 409
    patch = {"security_level": "三级", "operator": "市人力社保局信息中心", "offers_api": True}
    edited = client.patch(f"/api/apps/{made.json()['app']['id']}", headers=admin.headers, json=patch)
    assert edited.status_code == 200 and edited.json()["app"]["security_level"] == "三级"
    assert client.get("/api/apps", headers=admin.headers).json()["figures"]["catalogued"] == 9
    assert client.get("/api/apps?family=society", headers=admin.headers).json()["total"] == 1
    with session_scope(factory) as s:  # the reports' figure, quoted; this year's comes from the ledger
        ind = s.scalars(select(Indicator).where(Indicator.code == "apps_listed")).one()
        rows = s.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id)).all()
        assert [(v.period_key, v.value, v.provenance["value"]["quote"]) for v in rows] == [
            ("2024", 354, "累计入账应用354个")
        ]
        rockfall = s.scalars(select(App).where(App.code == "rockfall")).one()
        # its sensors open 危岩崩塌 and 内涝 events of 民呼我为's catalogue: handling those is its use
        assert usage.categories_of(s, rockfall) == ["geohazard.rockfall", "lifeline.waterlogging"]
        city = unit(s, "500000")
        assert figures.indicator_values(s, ind, [city, unit(s, STREET)], None, None) == {city.id: 8.0}  # 入账


def _unit(factory: sessionmaker[Session], code: str) -> int:
    with session_scope(factory) as s:
        return unit(s, code).id
