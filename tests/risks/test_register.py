"""Risk points: the level from the 5×5 matrix, reassessment by hand with reasons, scoping, the map layer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.risks import matrix
from tests.factories import Login, login, unit
from tests.risks.conftest import DISTRICT, OTHER_STREET, STREET, new_point


def test_the_level_comes_from_the_matrix(street_duty: Login, client: TestClient, session: Session) -> None:
    cells = {(3, 4): ("significant", 12), (4, 5): ("major", 20), (2, 2): ("low", 4), (1, 5): ("general", 5)}
    for (lk, cq), (level, score) in cells.items():
        p = new_point(client, street_duty, session, name=f"点{lk}{cq}", likelihood=lk, consequence=cq)
        assert (p["level"], p["score"]) == (level, score)
        assert p["color"] == matrix.LEVEL_COLOR[level]
    assert matrix.level_of(4, 4) == (16, "significant") and matrix.level_of(5, 4) == (20, "major")
    assert matrix.level_of(3, 3) == (9, "general") and matrix.level_of(5, 2) == (10, "significant")
    # No cell with a factor of 2 or less is red; every cell with both factors ≥ 4 except 4×4 is.
    grid = matrix.grid()
    assert all(grid[5 - lk][cq - 1] != "major" for lk in range(1, 6) for cq in range(1, 6) if min(lk, cq) <= 2)
    bad = client.post(
        "/api/risks/points",
        headers=street_duty.headers,
        json={
            "name": "x",
            "category": "geohazard.rock",
            "unit_id": unit(session, STREET).id,
            "likelihood": 6,
            "consequence": 1,
            "address": "x",
        },
    )
    assert bad.status_code == 422 and bad.json()["data"]["field"] == "likelihood"
    unknown = client.post(
        "/api/risks/points",
        headers=street_duty.headers,
        json={
            "name": "x",
            "category": "nope",
            "unit_id": unit(session, STREET).id,
            "likelihood": 1,
            "consequence": 1,
            "address": "x",
        },
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "risk.unknown_category"


def test_unknown_devices_and_plans_are_refused_by_name(
    street_duty: Login, client: TestClient, session: Session
) -> None:
    body = {"name": "x", "category": "geohazard.rock", "unit_id": unit(session, STREET).id, "address": "x"}
    body |= {"likelihood": 1, "consequence": 1}
    r = client.post(
        "/api/risks/points", headers=street_duty.headers, json=body | {"device_codes": ["nope-1", "nope-2"]}
    )
    assert r.status_code == 422 and r.json()["code"] == "risk.invalid_device_codes"
    assert r.json()["detail"] == "设备不存在 / unknown device 'nope-1'"
    assert r.json()["data"] == {"field": "device_codes", "missing": ["nope-1", "nope-2"]}
    r = client.post("/api/risks/points", headers=street_duty.headers, json=body | {"plan_keys": ["no-such-plan"]})
    assert r.status_code == 422 and r.json()["code"] == "risk.invalid_plan_keys"
    assert r.json()["detail"] == "预案不存在 / unknown plan 'no-such-plan'"
    assert r.json()["data"] == {"field": "plan_keys", "missing": ["no-such-plan"]}


def test_the_search_box_finds_by_name_address_or_ref_and_takes_wildcards_literally(
    street_duty: Login, client: TestClient, session: Session
) -> None:
    p = new_point(client, street_duty, session, name="沧白路危岩50%段", address="渝中区沧白路")
    other = new_point(client, street_duty, session, name="别处", address="别处")

    def found(q: str) -> set[int]:
        r = client.get("/api/risks/points", headers=street_duty.headers, params={"q": q})
        return {item["id"] for item in r.json()["items"]}

    assert found("危岩50%") == {p["id"]} and found(" 沧白路 ") == {p["id"]} and found(p["ref"]) == {p["id"]}
    assert found("%") == {p["id"]} and found("_") == set() and other["id"] in found("别处")


def test_a_reassessment_by_hand_keeps_its_reasons(street_duty: Login, client: TestClient, session: Session) -> None:
    p = new_point(client, street_duty, session)
    r = client.post(
        f"/api/risks/points/{p['id']}/reassess",
        headers=street_duty.headers,
        json={"likelihood": 5, "consequence": 4, "reasons": "汛期裂缝扩展 3mm"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["level"], r.json()["previous_level"]) == ("major", "significant")
    detail = client.get(f"/api/risks/points/{p['id']}", headers=street_duty.headers).json()
    assert detail["level"] == "major"
    assert [a["trigger"] for a in detail["assessments"]] == ["manual", "initial"]
    assert detail["assessments"][0]["reasons"] == "汛期裂缝扩展 3mm"
    assert detail["checklist"][0] == "岩体有无新裂缝或裂缝扩展"
    empty = client.post(
        f"/api/risks/points/{p['id']}/reassess",
        headers=street_duty.headers,
        json={"likelihood": 5, "consequence": 4, "reasons": ""},
    )
    assert empty.status_code == 422


def test_the_map_layer_shows_the_district_and_another_street_sees_none(
    street_duty: Login, district_duty: Login, client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    red = new_point(client, street_duty, session, name="红点", likelihood=5, consequence=5)
    area = new_point(
        client,
        street_duty,
        session,
        name="内涝片区",
        category="waterlogging.point",
        lon=None,
        lat=None,
        polygon={
            "type": "Polygon",
            "coordinates": [[[106.57, 29.55], [106.58, 29.55], [106.58, 29.56], [106.57, 29.55]]],
        },
    )
    layer = client.get(
        "/api/risks/points.geojson", headers=district_duty.headers, params={"unit_id": unit(session, DISTRICT).id}
    )
    assert layer.status_code == 200 and layer.headers["content-type"].startswith("application/geo+json")
    feats = {f["properties"]["name"]: f for f in layer.json()["features"]}
    assert set(feats) == {"红点", "内涝片区"}
    assert feats["红点"]["properties"]["color"] == "red" and feats["红点"]["geometry"]["type"] == "Point"
    assert feats["内涝片区"]["geometry"]["type"] == "Polygon"
    other = login(client, factory, "rk_other", [Role.dispatcher, Role.leader, Role.grid_worker], unit_code=OTHER_STREET)
    assert client.get("/api/risks/points.geojson", headers=other.headers).json()["features"] == []
    assert client.get("/api/risks/points", headers=other.headers).json()["total"] == 0
    assert client.get(f"/api/risks/points/{red['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/risks/points/{area['id']}", headers=other.headers).json()["code"] == "risk.point_not_found"
    assert client.get("/api/risks/inspections", headers=other.headers).json()["total"] == 0
    assert client.get("/api/risks/inspections", headers=street_duty.headers).json()["total"] == 2
    filtered = client.get("/api/risks/points", headers=district_duty.headers, params={"level": "major"}).json()
    assert [p["name"] for p in filtered["items"]] == ["红点"]
