"""马路巡查 over the API: start, check in inside and outside the grid (flagged), report with photos through the
events intake, fix on the spot (found and closed in one step), missed patrols, bad uploads refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from tests.grid.conftest import INSIDE, OUTSIDE, GridWorld, jpeg, upload


def _start(client: TestClient, world: GridWorld) -> int:
    r = client.post(f"/api/patrol-plans/{world.plan_id}/start", headers=world.worker.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_check_ins_inside_and_outside_the_grid(frozen: clock.FrozenClock, client: TestClient, world: GridWorld) -> None:
    pid = _start(client, world)
    again = client.post(f"/api/patrol-plans/{world.plan_id}/start", headers=world.worker.headers)
    assert again.status_code == 409 and again.json()["code"] == "patrol.already_running"
    ok = client.post(
        f"/api/patrols/{pid}/checkins", headers=world.worker.headers, json={"lon": INSIDE[0], "lat": INSIDE[1]}
    )
    assert ok.status_code == 201 and ok.json()["position"] == "inside" and ok.json()["flagged"] is False
    assert ok.json()["on_time"] is True  # 10:00 China time, inside the 08:00–18:00 window
    out = client.post(
        f"/api/patrols/{pid}/checkins", headers=world.worker.headers, json={"lon": OUTSIDE[0], "lat": OUTSIDE[1]}
    )
    assert out.json()["position"] == "outside" and out.json()["flagged"] is True
    flagged = client.get("/api/patrols", headers=world.duty.headers, params={"flagged": True}).json()
    assert [p["id"] for p in flagged["items"]] == [pid]
    ended = client.post(f"/api/patrols/{pid}/end", headers=world.worker.headers).json()
    assert ended["ended_at"] is not None and len(ended["checkins"]) == 2
    late = client.post(
        f"/api/patrols/{pid}/checkins", headers=world.worker.headers, json={"lon": INSIDE[0], "lat": INSIDE[1]}
    )
    assert late.status_code == 409 and late.json()["code"] == "patrol.ended"


def test_grid_without_boundary_checks_the_community_the_position_resolves_to(
    frozen: clock.FrozenClock, client: TestClient, world: GridWorld
) -> None:
    r = client.post(
        f"/api/grids/{world.plain_grid_id}/patrol-plans", headers=world.duty.headers, json={"name": "民生路巡查"}
    )
    pid = client.post(f"/api/patrol-plans/{r.json()['id']}/start", headers=world.worker.headers).json()["id"]

    def position(address: str) -> tuple[str, str]:
        c = client.post(f"/api/patrols/{pid}/checkins", headers=world.worker.headers, json={"address": address}).json()
        return c["position"], c["reason"]

    inside, reason = position("渝中区解放碑街道民生路社区")
    assert inside == "inside" and "网格无边界" in reason
    assert position("渝中区七星岗街道金汤街社区")[0] == "outside"
    assert position("渝中区")[0] == "unverified"


def test_report_with_photo_and_fix_on_the_spot(frozen: clock.FrozenClock, client: TestClient, world: GridWorld) -> None:
    pid = _start(client, world)
    photo = upload(client, world.worker, jpeg(gps=INSIDE))
    assert photo["gps"] == [INSIDE[0], INSIDE[1]] or abs(photo["gps"][0] - INSIDE[0]) < 1e-4
    r = client.post(
        "/api/grid-reports",
        headers=world.worker.headers,
        json={
            "category": "city_appearance.exposed_garbage",
            "description": "邹容路口垃圾堆放",
            "photo_ids": [photo["file_id"]],
        },
    )
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["source"] == "patrol" and rep["session_id"] == pid and rep["status"] == "reported"
    event = client.get(f"/api/events/{rep['event_id']}", headers=world.duty.headers).json()
    assert event["lon"] is not None and abs(event["lon"] - INSIDE[0]) < 1e-4  # located by the photo's EXIF GPS
    thumb = client.get(rep["photos"][0]["thumb_url"], headers=world.duty.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg" and len(thumb.content) > 100

    before, after = upload(client, world.worker, jpeg()), upload(client, world.worker, jpeg())
    missing = client.post(
        "/api/grid-reports",
        headers=world.worker.headers,
        json={
            "category": "city_appearance.exposed_garbage",
            "description": "x",
            "on_spot": True,
            "photo_ids": [before["file_id"]],
            "note": "清理",
        },
    )
    assert missing.status_code == 422 and missing.json()["code"] == "grid.on_spot_photos"
    fixed = client.post(
        "/api/grid-reports",
        headers=world.worker.headers,
        json={
            "category": "city_appearance.exposed_garbage",
            "description": "人行道散落纸箱",
            "on_spot": True,
            "photo_ids": [before["file_id"]],
            "after_photo_ids": [after["file_id"]],
            "note": "已清理并装袋",
            "lon": INSIDE[0],
            "lat": INSIDE[1],
        },
    ).json()
    assert fixed["on_spot"] is True and fixed["status"] == "closed"
    assert [p["role"] for p in fixed["photos"]] == ["before", "after"]
    mine = client.get("/api/grid-reports/mine", headers=world.worker.headers).json()
    assert [m["status"] for m in mine] == ["closed", "reported"]
    # Another worker's upload cannot be attached.
    r = client.post(
        "/api/grid-reports",
        headers=world.duty.headers,
        json={"category": "city_appearance.exposed_garbage", "description": "x", "photo_ids": [photo["file_id"]]},
    )
    assert r.status_code == 403


def test_bad_uploads_are_refused_with_a_clear_error(client: TestClient, world: GridWorld) -> None:
    def post(name: str, data: bytes, ctype: str) -> dict:
        r = client.post("/api/files", headers=world.worker.headers, files={"file": (name, data, ctype)})
        assert r.status_code == 422, r.text
        return dict(r.json())

    assert post("a.pdf", b"%PDF-1.4 hello", "application/pdf")["code"] == "file.wrong_type"
    gif = __import__("base64").b64decode("R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==")
    wrong = post("a.gif", gif, "image/gif")
    assert wrong["code"] == "file.wrong_type" and "JPEG" in wrong["detail"]
    fake = post("fake.jpg", b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10, "image/jpeg")
    assert fake["code"] == "file.not_an_image" and fake["data"]["field"] == "file"
    big = post("big.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), "image/jpeg")
    assert big["code"] == "file.too_large" and "10 MB" in big["detail"]
    assert post("empty.jpg", b"", "image/jpeg")["code"] == "file.empty"


def test_missed_patrols_are_flagged(frozen: clock.FrozenClock, client: TestClient, world: GridWorld) -> None:
    twice = client.post(
        f"/api/grids/{world.plain_grid_id}/patrol-plans",
        headers=world.duty.headers,
        json={"name": "民生路两巡", "per_day": 2},
    ).json()
    pid = client.post(f"/api/patrol-plans/{twice['id']}/start", headers=world.worker.headers).json()["id"]
    client.post(f"/api/patrols/{pid}/end", headers=world.worker.headers)
    assert client.get("/api/patrols/missed", headers=world.duty.headers).json() == []  # today's window is open
    frozen.advance(hours=9)  # 19:00 China time: the 08:00–18:00 window has closed
    missed = client.get("/api/patrols/missed", headers=world.duty.headers).json()
    assert sorted((m["plan_id"], m["required"], m["done"], m["missed"]) for m in missed) == [
        (world.plan_id, 1, 0, 1),
        (twice["id"], 2, 1, 1),
    ]


def test_todo_lists_the_patrols_still_due_today(
    frozen: clock.FrozenClock, client: TestClient, world: GridWorld, factory: sessionmaker[Session]
) -> None:
    from cityops.core.auth import User, actor_for
    from cityops.core.db import session_scope
    from cityops.grid.todo import todo_items

    def todo() -> list[str]:
        with session_scope(factory) as s:
            user = s.get(User, world.worker.user_id)
            assert user is not None
            return [i.title for i in todo_items(s, actor_for(s, user), clock.now())]

    assert todo() == ["邹容路日常巡查（今日 0/1）"]
    _start(client, world)
    assert todo() == []
