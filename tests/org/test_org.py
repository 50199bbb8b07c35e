"""Org and geography: the real Chongqing tree, resolution, scoping, unit changes with history."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cityops.cli.main import app as cli
from cityops.core.actor import Role, system_actor
from cityops.core.auth import User
from cityops.core.db import session_scope
from cityops.org.loader import import_chongqing
from cityops.org.models import OrgUnit
from tests.factories import login, unit


def test_org_stats_prints_real_counts(db_url: str) -> None:
    out = CliRunner().invoke(cli, ["org", "stats"], env={"CITYOPS_DATABASE_URL": db_url})
    assert out.exit_code == 0, out.output
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:4]]
        for line in out.output.splitlines()
        if line.startswith("│")
    }
    assert rows["市 city"] == ["1", "1"]
    assert rows["区县 district"] == ["41", "41"]  # 38 区县 + 两江新区, 重庆高新区, 万盛经开区
    assert rows["镇街 street"] == ["1,031", "1,031"]
    assert rows["村社 community"] == ["11,270", "0"]
    assert rows["网格 grid"] == ["11,270", "0"]  # the test template generates one grid per community


def test_import_is_idempotent(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        report = import_chongqing(s, system_actor("system:test"), grids_per_community=1)
    assert sum(report.inserted.values()) == 0 and report.departments == 0 and report.centres == 0


def _resolve(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    r = client.post("/api/org/resolve", headers=headers, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_text_and_point_resolution(client: TestClient, factory: sessionmaker[Session], session: Session) -> None:
    h = login(client, factory, "city1", [Role.dispatcher], unit_code="500000").headers
    yuzhong, jiefangbei = unit(session, "500103"), unit(session, "500103003")
    liangping, shuanggui = unit(session, "500155"), unit(session, "500155002")
    assert shuanggui.name == "双桂街道"

    r = _resolve(client, h, text="重庆市渝中区解放碑步行街")
    assert r["district_id"] == yuzhong.id and "渝中区" in str(r["reason"])

    r = _resolve(client, h, text="渝中区解放碑街道临江支路28号")
    assert r["unit_id"] == jiefangbei.id and r["level"] == "street" and r["district_id"] == yuzhong.id

    r = _resolve(client, h, text="渝中区解放碑街道邹容路100号")  # 邹容路 is also a community there
    assert r["level"] == "community" and r["street_id"] == jiefangbei.id

    r = _resolve(client, h, text="梁平县双桂街道人民路")  # old county name still resolves
    assert r["unit_id"] == shuanggui.id and r["district_id"] == liangping.id

    r = _resolve(client, h, lon=106.577, lat=29.557)
    assert r["unit_id"] == yuzhong.id and r["method"] == "point"

    r = _resolve(client, h, lon=106.577, lat=29.557, text="解放碑街道")
    assert r["unit_id"] == jiefangbei.id and r["method"] == "point+text"


def test_community_names_resolve_without_suffix(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    h = login(client, factory, "city2", [Role.dispatcher], unit_code="500000").headers
    community = unit(session, "500103003016")
    short = community.name.replace("社区居民委员会", "")
    r = _resolve(client, h, text=f"渝中区解放碑街道{short}社区3栋")
    assert r["unit_id"] == community.id and r["level"] == "community"


def test_bad_locations_get_422_naming_the_field(client: TestClient, factory: sessionmaker[Session]) -> None:
    h = login(client, factory, "city3", [Role.dispatcher], unit_code="500000").headers
    cases = [
        ({"lon": 200, "lat": 29.5}, "lon"),
        ({"lon": 106.5, "lat": -95}, "lat"),
        ({"text": ""}, "body"),
        ({"lon": 106.5}, "lat"),
        ({"text": "北京市海淀区中关村"}, "text"),
        ({"lon": 116.4, "lat": 39.9}, "lon"),
    ]
    for body, field in cases:
        r = client.post("/api/org/resolve", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["data"]["field"] == field, (body, r.json())


def test_unresolvable_text_can_fall_back_to_city_triage(client: TestClient, factory: sessionmaker[Session]) -> None:
    h = login(client, factory, "city4", [Role.dispatcher], unit_code="500000").headers
    r = _resolve(client, h, text="我家楼下的路灯坏了", fallback=True)
    assert r["level"] == "city" and r["method"] == "fallback" and r["confidence"] == 0


def test_batch_resolution_reports_each_item(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    h = login(client, factory, "city5", [Role.dispatcher], unit_code="500000").headers
    items = [
        {"lon": 106.577, "lat": 29.557},
        {"lon": "x", "lat": 1},
        {"text": "沙坪坝区"},
        {"lon": 0, "lat": 0},
    ]
    r = client.post("/api/org/resolve/batch", headers=h, json={"items": items})
    assert r.status_code == 200
    body = r.json()
    assert body["resolved"] == 2 and body["failed"] == 2
    assert body["items"][0]["result"]["unit_id"] == unit(session, "500103").id
    assert body["items"][1]["error"]["data"]["field"] == "items[1].lon"
    assert body["items"][2]["result"]["unit_id"] == unit(session, "500106").id
    assert body["items"][3]["error"]["error"] == "Unresolvable"


def test_street_user_sees_only_its_subtree(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    h = login(client, factory, "street1", [Role.dispatcher], unit_code="500103003").headers
    own, other = unit(session, "500103003"), unit(session, "500103001")
    assert client.get(f"/api/org/units/{own.id}", headers=h).status_code == 200
    r = client.get(f"/api/org/units/{other.id}", headers=h)
    assert r.status_code == 404 and r.json()["error"] == "UnitNotFound"
    assert client.get(f"/api/org/units/{other.id}/children", headers=h).status_code == 404
    district = unit(session, "500103")
    assert client.get(f"/api/org/units/{district.id}", headers=h).status_code == 404  # upwards is not visible
    found = client.get("/api/org/units", headers=h, params={"q": "社区"}).json()
    assert found["total"] > 0 and all(u["path"].startswith(own.path) for u in found["items"])
    children = client.get(f"/api/org/units/{own.id}/children", headers=h).json()
    assert children["total"] == len(children["items"]) > 0
    assert client.get("/api/org/districts.geojson", headers=h).json()["features"] == []


def test_district_map_is_scoped(client: TestClient, factory: sessionmaker[Session]) -> None:
    city = login(client, factory, "c6", [Role.leader], unit_code="500000").headers
    district = login(client, factory, "d6", [Role.leader], unit_code="500106").headers
    all_features = client.get("/api/org/districts.geojson", headers=city).json()["features"]
    assert len(all_features) == 38
    mine = client.get("/api/org/districts.geojson", headers=district).json()["features"]
    assert [f["properties"]["name"] for f in mine] == ["沙坪坝区"]


def test_departments_and_centres(client: TestClient, factory: sessionmaker[Session], session: Session) -> None:
    h = login(client, factory, "s7", [Role.dispatcher], unit_code="500103003").headers
    depts = client.get("/api/org/departments", headers=h, params={"limit": 100}).json()
    names = {d["name"] for d in depts}
    assert "渝中区城市管理局" in names and "重庆市应急管理局" in names  # its district's and the city's
    assert "沙坪坝区城市管理局" not in names
    centres = client.get("/api/org/centres", headers=h).json()
    assert [c["name"] for c in centres] == ["解放碑街道数字化城市运行和治理中心"]


def test_street_moves_into_special_zone_and_references_follow(
    client: TestClient,
    factory: sessionmaker[Session],
    session: Session,
) -> None:
    admin = login(client, factory, "admin8", [Role.sysadmin], unit_code="500000").headers
    street, zone = unit(session, "500112009"), unit(session, "Z-两江新区")
    community = session.scalars(select(type(street)).where(type(street).parent_id == street.id)).first()
    assert community is not None
    staff = login(client, factory, "admin8_duty", [Role.dispatcher], unit_code="500000").headers
    ev = client.post(
        "/api/events",
        headers=staff,
        json={
            "category": "municipal.streetlight_fault",
            "description": "路灯不亮",
            "unit_code": community.code,
            "source": "department",
        },
    )
    assert ev.status_code == 201, ev.text
    r = client.post(f"/api/org/units/{street.id}/move", headers=admin, json={"parent_id": zone.id})
    assert r.status_code == 200, r.text
    assert r.json()["path"] == f"{zone.path}{street.id}/"
    detail = client.get(f"/api/org/units/{community.id}", headers=admin).json()
    assert detail["path"].startswith(zone.path) and detail["ancestors"][1]["name"] == "两江新区"
    history = client.get(f"/api/org/units/{street.id}/history", headers=admin).json()
    assert history[-1]["kind"] == "move" and history[-1]["other_unit_id"] == zone.id
    # The event's cached location path follows the move, so the zone's staff now see it.
    zone_duty = login(client, factory, "zone_duty", [Role.dispatcher], unit_code="Z-两江新区").headers
    assert client.get(f"/api/events/{ev.json()['id']}", headers=zone_duty).status_code == 200
    bad = client.post(f"/api/org/units/{street.id}/move", headers=admin, json={"parent_id": community.id})
    assert bad.status_code == 422 and bad.json()["data"]["field"] == "parent_id"


def test_merge_moves_children_and_users_to_successor(
    client: TestClient,
    factory: sessionmaker[Session],
    session: Session,
) -> None:
    admin = login(client, factory, "admin9", [Role.sysadmin], unit_code="500000").headers
    worker = login(client, factory, "grid9", [Role.grid_worker], unit_code="500103001")
    source, target = unit(session, "500103001"), unit(session, "500103003")
    r = client.post(f"/api/org/units/{source.id}/merge", headers=admin, json={"target_id": target.id})
    assert r.status_code == 200, r.text
    session.rollback()  # a new snapshot
    assert session.get(User, worker.user_id).unit_id == target.id
    merged = client.get(f"/api/org/units/{source.id}", headers=admin).json()
    assert merged["successor_id"] == target.id
    kids = client.get(f"/api/org/units/{target.id}/children", headers=admin, params={"limit": 500}).json()
    assert any(k["code"].startswith("500103001") for k in kids["items"])
    me = client.get("/api/auth/me", headers=worker.headers).json()
    assert me["unit_path"] == target.path


def test_only_sysadmin_changes_units(client: TestClient, factory: sessionmaker[Session], session: Session) -> None:
    leader = login(client, factory, "lead10", [Role.leader], unit_code="500000").headers
    street = unit(session, "500103003")
    r = client.post(f"/api/org/units/{street.id}/rename", headers=leader, json={"name": "新名字街道"})
    assert r.status_code == 403


def test_split_creates_sibling_with_centre(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    admin = login(client, factory, "admin11", [Role.sysadmin], unit_code="500000").headers
    street = unit(session, "500103003")
    kids = client.get(f"/api/org/units/{street.id}/children", headers=admin).json()["items"][:2]
    r = client.post(
        f"/api/org/units/{street.id}/split",
        headers=admin,
        json={"name": "解放碑东街道", "child_ids": [k["id"] for k in kids]},
    )
    assert r.status_code == 201, r.text
    new = client.get(f"/api/org/units/{r.json()['id']}", headers=admin).json()
    assert new["children_count"] == 2 and new["centre"] == "解放碑东街道数字化城市运行和治理中心"


def _gauges_equal_a_full_count(session: Session, unit_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each unit's open/overdue gauge beside a count of the events that lie under it now."""
    from cityops.events import metrics
    from cityops.events.models import OPEN_STATUSES, Event
    from cityops.org.service import in_subtree

    session.rollback()  # a new snapshot
    seen = {}
    for unit_id in unit_ids:
        u = session.get(OrgUnit, unit_id)
        assert u is not None
        under = select(func.count()).where(in_subtree(Event.unit_path, u.path), Event.status.in_(OPEN_STATUSES))
        counted = (session.scalar(under) or 0, session.scalar(under.where(Event.overdue)) or 0)
        got = metrics.gauges(session, [unit_id]).get(unit_id, (0, 0))
        assert got == counted, (u.name, got, counted)
        seen[unit_id] = counted
    return seen


def test_gauges_follow_a_street_that_moves_with_open_and_overdue_events(
    client: TestClient, factory: sessionmaker[Session], session: Session, frozen: object
) -> None:
    from cityops.core import clock
    from cityops.events import deadlines

    admin = login(client, factory, "admin_g", [Role.sysadmin], unit_code="500000").headers
    staff = login(client, factory, "duty_g", [Role.dispatcher], unit_code="500000").headers
    street, zone = unit(session, "500112009"), unit(session, "Z-两江新区")
    district_id = street.parent_id
    assert district_id is not None
    ids = []
    for text in ("路灯不亮", "井盖缺失", "占道经营"):
        r = client.post(
            "/api/events",
            headers=staff,
            json={"category": "municipal.streetlight_fault", "description": text, "unit_code": street.code},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    with session_scope(factory) as s:  # the first two pass their deadline
        from cityops.events.models import Event

        for event_id in ids[:2]:
            ev = s.get(Event, event_id)
            assert ev is not None and ev.due_at is not None
            ev.due_at = clock.now()
    assert isinstance(frozen, clock.FrozenClock)
    frozen.advance(minutes=1)
    with session_scope(factory) as s:
        deadlines.sweep(s, clock.now())
    units = [street.id, district_id, zone.id]
    before = _gauges_equal_a_full_count(session, units)
    assert before[street.id] == (3, 2) and before[district_id][0] >= 3
    r = client.post(f"/api/org/units/{street.id}/move", headers=admin, json={"parent_id": zone.id})
    assert r.status_code == 200, r.text
    after = _gauges_equal_a_full_count(session, units)
    assert after[zone.id] == (before[zone.id][0] + 3, before[zone.id][1] + 2)
    assert after[district_id] == (before[district_id][0] - 3, before[district_id][1] - 2)
    # Closing a moved event takes it off the new district's gauge, not the old one's.
    zone_duty = login(client, factory, "zone_duty_g", [Role.dispatcher], unit_code="Z-两江新区").headers
    r = client.post(f"/api/events/{ids[0]}/actions/void", headers=staff, json={"note": "重复上报"})
    assert r.status_code == 200, r.text
    final = _gauges_equal_a_full_count(session, units)
    assert final[zone.id] == (after[zone.id][0] - 1, after[zone.id][1] - 1)
    assert final[district_id] == after[district_id]
    timeline = client.get(f"/api/events/{ids[1]}", headers=zone_duty).json()
    assert "unit_changed" in str(timeline)
