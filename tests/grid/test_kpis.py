"""Grid KPIs against a hand count: reports per worker, 有效上报率, 就地解决率, patrol coverage, on-time check-ins."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from tests.factories import login, unit
from tests.grid.conftest import INSIDE, OUTSIDE, STREET, GridWorld, jpeg, upload


def test_grid_kpis_match_a_hand_count(
    frozen: clock.FrozenClock, client: TestClient, world: GridWorld, factory: sessionmaker[Session], session: Session
) -> None:
    w = world.worker.headers
    pid = client.post(f"/api/patrol-plans/{world.plan_id}/start", headers=w).json()["id"]
    for lon, lat in (INSIDE, OUTSIDE):
        client.post(f"/api/patrols/{pid}/checkins", headers=w, json={"lon": lon, "lat": lat})

    def report(text: str, **extra: object) -> dict:
        r = client.post(
            "/api/grid-reports",
            headers=w,
            json={"category": "city_appearance.exposed_garbage", "description": text, **extra},
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    report("垃圾堆放一")
    wrong = report("误报：其实是施工围挡")
    b, a = upload(client, world.worker, jpeg()), upload(client, world.worker, jpeg())
    report("纸箱散落", on_spot=True, photo_ids=[b["file_id"]], after_photo_ids=[a["file_id"]], note="已清理")
    r = client.post(f"/api/events/{wrong['event_id']}/actions/void", headers=world.duty.headers, json={"note": "误报"})
    assert r.status_code == 200, r.text
    frozen.advance(hours=9)  # 19:00: outside the plan's window; today's patrol day has finished
    client.post(f"/api/patrols/{pid}/checkins", headers=w, json={"lon": INSIDE[0], "lat": INSIDE[1]})
    login(client, factory, "g_worker2", [Role.grid_worker], unit_code=STREET)  # not assigned: not counted

    k = client.get("/api/grid-kpis", headers=world.duty.headers, params={"unit_id": unit(session, STREET).id}).json()
    # Hand count: 1 assigned worker; 3 reports, 1 voided -> 2 valid, 1 on the spot; 1 patrol required, 1 done;
    # 3 check-ins, 2 within 08:00–18:00, 1 outside the grid.
    assert (k["workers"], k["reports"], k["valid_reports"], k["on_spot"]) == (1, 3, 2, 1)
    assert k["reports_per_worker"] == 3.0
    assert k["valid_report_rate"] == round(2 / 3, 4) and k["on_spot_rate"] == round(1 / 3, 4)
    assert (k["patrols_required"], k["patrols_done"], k["patrol_coverage"]) == (1, 1, 1.0)
    assert (k["checkins"], k["checkins_on_time"], k["checkins_flagged"]) == (3, 2, 1)
    assert k["on_time_checkin_rate"] == round(2 / 3, 4)
    # Another street's figures are its own (none), and its centre cannot ask for ours.
    other = login(client, factory, "g_kpi_other", [Role.leader], unit_code="500103001")
    assert client.get("/api/grid-kpis", headers=other.headers).json()["reports"] == 0
    assert (
        client.get("/api/grid-kpis", headers=other.headers, params={"unit_id": unit(session, STREET).id}).status_code
        == 404
    )
