"""Edits through the API: a duty item's edit and retirement move routing (a dropped or retired category
goes back to the default route, or to another item covering it); a patrol plan edited and retired (a
retired plan asks for no patrols); a grid's new version with a back-dated valid-from."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from tests.factories import login
from tests.grid.conftest import GridWorld
from tests.grid.test_duties import DISTRICT, STREET, _event

GARBAGE, ADS = "city_appearance.exposed_garbage", "city_appearance.illegal_ads"


def test_editing_and_retiring_duty_items_moves_routing(client: TestClient, factory: sessionmaker[Session]) -> None:
    leader = login(client, factory, "e_leader", [Role.leader], unit_code=DISTRICT)
    city = login(client, factory, "e_city", [Role.dispatcher], unit_code="500000")
    before = _event(client, city, ADS, STREET)["route_reason"]
    wide = {"level": "网格", "list_kind": "基本履职", "name": "网格环境巡查", "categories": [GARBAGE, ADS]}
    item = client.post("/api/duty-items", headers=leader.headers, json=wide).json()
    narrow = {"level": "村社", "list_kind": "基本履职", "name": "垃圾堆放劝导", "categories": [GARBAGE]}
    other = client.post("/api/duty-items", headers=leader.headers, json=narrow).json()
    assert "网格环境巡查" in _event(client, city, ADS, STREET)["route_reason"]
    edited = client.put(f"/api/duty-items/{item['id']}", headers=leader.headers, json={**wide, "categories": [GARBAGE]})
    assert edited.status_code == 200 and edited.json()["category_codes"] == [GARBAGE]
    assert _event(client, city, ADS, STREET)["route_reason"] == before  # released: the default route again
    assert "网格环境巡查" in _event(client, city, GARBAGE, STREET)["route_reason"]
    street = login(client, factory, "e_street", [Role.leader], unit_code=STREET)
    assert client.post(f"/api/duty-items/{item['id']}/retire", headers=street.headers, json={}).status_code == 403
    r = client.post(f"/api/duty-items/{item['id']}/retire", headers=leader.headers, json={"reason": "合并"})
    assert r.status_code == 200, r.text
    assert "垃圾堆放劝导" in _event(client, city, GARBAGE, STREET)["route_reason"]  # the other item routes it
    names = [i["name"] for i in client.get("/api/duty-items", headers=leader.headers).json()]
    assert names == ["垃圾堆放劝导"]
    again = client.post(f"/api/duty-items/{item['id']}/retire", headers=leader.headers, json={})
    assert again.status_code == 404  # a retired item is no longer in the list
    assert other["id"]


def test_patrol_plans_and_grid_versions_are_edited(
    frozen: clock.FrozenClock, client: TestClient, world: GridWorld, factory: sessionmaker[Session]
) -> None:
    d = world.duty.headers
    body = {"name": "邹容路日常巡查", "checkpoints": [{"name": "邹容路口"}], "per_day": 2}
    r = client.put(f"/api/patrol-plans/{world.plan_id}", headers=d, json={**body, "window_end": "07:00"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "window_end"
    r = client.put(f"/api/patrol-plans/{world.plan_id}", headers=d, json=body)
    assert r.status_code == 200 and r.json()["per_day"] == 2
    other = login(client, factory, "e_other", [Role.dispatcher], unit_code="500103001")
    assert client.put(f"/api/patrol-plans/{world.plan_id}", headers=other.headers, json=body).status_code == 404
    frozen.advance(hours=9)  # 19:00: today's window has closed, two patrols were required and none done
    assert [m["missed"] for m in client.get("/api/patrols/missed", headers=d).json()] == [2]
    assert client.post(f"/api/patrol-plans/{world.plan_id}/retire", headers=d).status_code == 200
    assert client.get("/api/patrols/missed", headers=d).json() == []  # a retired plan asks for nothing
    start = client.post(f"/api/patrol-plans/{world.plan_id}/start", headers=world.worker.headers)
    assert start.status_code == 409 and start.json()["code"] == "patrol.plan_retired"

    earlier = (clock.now() - timedelta(hours=2)).isoformat()
    future = (clock.now() + timedelta(days=1)).isoformat()
    edit = {"name": "邹容路中心网格", "kind": "综合网格"}
    r = client.put(f"/api/grids/{world.grid_id}", headers=d, json={**edit, "valid_from": future})
    assert r.status_code == 422 and r.json()["code"] == "grid.invalid_valid_from"
    r = client.put(f"/api/grids/{world.grid_id}", headers=d, json={**edit, "valid_from": earlier})
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = client.get(f"/api/grids/{world.grid_id}", headers=d).json()["versions"]
    assert versions[0]["valid_to"] == versions[1]["valid_from"] and versions[1]["valid_to"] is None
    assert versions[1]["valid_from"].startswith(earlier[:16])
