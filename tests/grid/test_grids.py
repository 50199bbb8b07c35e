"""Grids as real objects (imported records in versions, generated ones marked) and the street's roster."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import login, unit
from tests.grid.conftest import COMMUNITY, GRID, STREET, GridWorld


def test_imported_grid_keeps_versions_and_generated_ones_stay_marked(
    client: TestClient, world: GridWorld, session: Session
) -> None:
    csv_text = (
        "community_code,seq,name,kind,dedicated_type\n"
        f"{COMMUNITY},1,邹容路第1网格,专属网格,农贸市场\n"
        f"{COMMUNITY},2,邹容路学校网格,专属网格,学校\n"
        f"{COMMUNITY},x,坏行,综合网格,\n"
        "999999999999,1,不存在的社区,综合网格,\n"
        f"{COMMUNITY},3,缺类型,专属网格,\n"
    )
    r = client.post(
        "/api/grids/import", headers=world.duty.headers, files={"file": ("g.csv", csv_text.encode(), "text/csv")}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["saved"] == 2
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (4, "seq"),
        (5, "community_code"),
        (6, "dedicated_type"),
    ]

    detail = client.get(f"/api/grids/{world.grid_id}", headers=world.duty.headers).json()
    assert detail["kind_name"] == "专属网格" and detail["dedicated_type"] == "农贸市场"
    assert detail["has_polygon"] is True  # the CSV changed attributes; the imported boundary stays
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][0]["valid_to"] is not None and detail["versions"][1]["valid_to"] is None
    assert detail["workers"][0]["employment_name"] == "专职"

    session.rollback()  # a fresh read after the API's writes
    new = unit(session, f"{COMMUNITY}G02")
    assert new.generated is False and new.name == "邹容路学校网格"
    listed = client.get(
        "/api/grids", headers=world.duty.headers, params={"unit_id": unit(session, COMMUNITY).id}
    ).json()
    by_code = {g["code"]: g for g in listed["items"]}
    assert by_code[GRID]["generated"] is False and by_code[f"{COMMUNITY}G02"]["kind"] == "dedicated"
    other = client.get("/api/grids", headers=world.duty.headers, params={"unit_id": unit(session, STREET).id}).json()
    generated = [g for g in other["items"] if g["code"] == "500103003013G01"]
    assert generated and generated[0]["generated"] is True and generated[0]["has_polygon"] is False


def test_bad_geojson_is_refused_per_feature(client: TestClient, world: GridWorld) -> None:
    doc = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"code":"'
        + GRID
        + '"},"geometry":{"type":"Point","coordinates":[106.5,29.5]}},'
        '{"type":"Feature","properties":{},"geometry":null}]}'
    )
    r = client.post(
        "/api/grids/import", headers=world.duty.headers, files={"file": ("g.geojson", doc.encode(), "application/json")}
    )
    assert r.status_code == 200
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(1, "geometry"), (2, "properties")]
    r = client.post(
        "/api/grids/import", headers=world.duty.headers, files={"file": ("g.geojson", b"{not json", "application/json")}
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "file"


def test_street_sees_roster_and_coverage_and_workers_cannot_manage(
    client: TestClient, world: GridWorld, factory: sessionmaker[Session], session: Session
) -> None:
    roster = client.get("/api/grid-workers", headers=world.duty.headers).json()
    assert {(r["grid_code"], r["username"], r["shift"], r["phone"]) for r in roster} == {
        (GRID, "g_worker", "周一至周五 08:30-17:30", "13800001111"),
        ("500103003013G01", "g_worker", "周一至周五 08:30-17:30", "13800001111"),
    }
    cov = client.get(
        "/api/grid-coverage", headers=world.duty.headers, params={"unit_id": unit(session, STREET).id}
    ).json()
    assert cov["covered"] == 2 and cov["with_full_time"] == 2 and cov["grids"] == cov["covered"] + len(cov["uncovered"])
    # A second assignment of the same worker to the same grid is a conflict; a non-worker cannot be assigned.
    r = client.post(
        f"/api/grids/{world.grid_id}/workers", headers=world.duty.headers, json={"user_id": world.worker.user_id}
    )
    assert r.status_code == 409 and r.json()["code"] == "grid.already_assigned"
    r = client.post(
        f"/api/grids/{world.grid_id}/workers", headers=world.duty.headers, json={"user_id": world.duty.user_id}
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "user_id"
    r = client.post(f"/api/grids/{world.grid_id}/patrol-plans", headers=world.worker.headers, json={"name": "x"})
    assert r.status_code == 403
    # Ending an assignment takes the worker off the roster.
    first = roster[0]["id"]
    assert client.post(f"/api/grid-workers/{first}/end", headers=world.duty.headers).json()["active"] is False
    assert len(client.get("/api/grid-workers", headers=world.duty.headers).json()) == 1
    other = login(client, factory, "g_other_street", [Role.dispatcher], unit_code="500103001")
    assert client.get("/api/grid-workers", headers=other.headers).json() == []
    assert client.get(f"/api/grids/{world.grid_id}", headers=other.headers).status_code == 404


def test_editing_a_generated_grid_makes_it_a_real_one(client: TestClient, world: GridWorld) -> None:
    r = client.put(
        f"/api/grids/{world.plain_grid_id}",
        headers=world.duty.headers,
        json={"name": "民生路农贸市场网格", "kind": "dedicated", "dedicated_type": "农贸市场"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["generated"], r.json()["version"], r.json()["kind_name"]) == (False, 1, "专属网格")
    missing = client.put(f"/api/grids/{world.plain_grid_id}", headers=world.duty.headers, json={"kind": "dedicated"})
    assert missing.status_code == 422 and missing.json()["data"]["field"] == "dedicated_type"
    assert client.put(f"/api/grids/{world.plain_grid_id}", headers=world.worker.headers, json={}).status_code == 403
