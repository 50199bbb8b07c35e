"""渣土治理 end to end: GPS fixes arrive as sensing readings (HTTP JSON lines); the scan reads them once after
its cursor; a 10-minute stop in a field opens one event to the district's 城市管理 with the track, a stop
inside a licensed site opens none; leaving the corridor and a night run each open one; KPIs by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.events.models import Event
from cityops.muck.models import Violation
from tests.factories import Login, department_id, login
from tests.muck.conftest import DISTRICT, drive, new_site, new_truck, places, send, stand
from tests.wages.conftest import act

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China time


def scan(client: TestClient, who: Login) -> int:
    r = client.post("/api/muck/scan", headers=who.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["opened"])


def test_stop_in_a_field_opens_one_event_with_its_track(
    client: TestClient, duty: Login, session: Session, frozen: clock.FrozenClock
) -> None:
    field, site_at = places(session)
    new_site(client, duty, session, *site_at)
    truck = new_truck(client, duty, session)
    start = (site_at[0], site_at[1] + 0.01)
    send(client, duty, "GPS-0001", drive(T0, start, field, 10))
    assert scan(client, duty) == 0
    send(client, duty, "GPS-0001", stand(T0 + timedelta(minutes=10), field, 6))
    assert scan(client, duty) == 0  # six minutes standing: not yet
    send(client, duty, "GPS-0001", stand(T0 + timedelta(minutes=16), field, 6))
    assert scan(client, duty) == 1  # twelve minutes outside any site
    # the truck then drives into the licensed site and stands there 15 minutes: no event
    send(client, duty, "GPS-0001", drive(T0 + timedelta(minutes=22), field, site_at, 10))
    send(client, duty, "GPS-0001", stand(T0 + timedelta(minutes=32), site_at, 15))
    assert scan(client, duty) == 0
    assert scan(client, duty) == 0  # every reading is considered once

    session.rollback()  # a fresh read of what the requests committed
    violation = session.scalars(select(Violation)).one()
    assert violation.kind == "dumping" and violation.truck_id == truck["id"] and (violation.minutes or 0) >= 10
    assert violation.site_distance_m is not None and violation.site_distance_m > 1000
    ev = client.get(f"/api/events/{violation.event_id}", headers=duty.headers).json()
    assert ev["category"] == "city_appearance.muck_dumping"
    assert ev["owner_name"] == "沙坪坝区城市管理局"
    assert ev["owner_department_id"] == department_id(session, DISTRICT, "urban_management")
    assert ev["attributes"]["truck"] == "渝A12345" and ev["attributes"]["site"] == "演示消纳场"
    track = ev["attributes"]["track"]
    assert len(track) >= 20 and track[-1][1] == field[1]  # it ends where the truck stood
    assert "渝A12345" in ev["description"] and "最近场地" in ev["description"]

    tracks = client.get("/api/muck/tracks", headers=duty.headers, params={"day": "2026-03-02"}).json()
    assert tracks[0]["plate"] == "渝A12345" and len(tracks[0]["points"]) == (10 + 12 + 10 + 15) * 2
    kpis = client.get("/api/muck/kpis", headers=duty.headers).json()
    assert kpis["violations"] == 1 and kpis["closed"] == 0 and kpis["closure_rate"] == 0.0


def test_corridor_and_night_runs_open_one_event_each(
    client: TestClient, duty: Login, session: Session, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    _, site_at = places(session)
    route = [[site_at[0], site_at[1] + 0.02], [site_at[0], site_at[1]]]  # a north–south corridor to the site
    new_site(client, duty, session, *site_at)
    new_truck(client, duty, session, code="GPS-0002", plate="渝B54321", route=route, route_width_m=200)
    new_truck(client, duty, session, code="GPS-0003", plate="渝C11111", night_permit_until="2026-03-31")
    north = (site_at[0], site_at[1] + 0.02)
    aside = (site_at[0] + 0.01, site_at[1] + 0.01)  # about 1 km east of the corridor
    night = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 China time, the night before
    send(client, duty, "GPS-0002", drive(night, north, site_at, 10))  # on its route, but no night permit
    send(client, duty, "GPS-0003", drive(night, north, site_at, 10))  # permitted
    assert scan(client, duty) == 1
    send(client, duty, "GPS-0002", drive(T0, north, (site_at[0], site_at[1] + 0.01), 5))
    send(client, duty, "GPS-0002", drive(T0 + timedelta(minutes=5), (site_at[0], site_at[1] + 0.01), aside, 5))
    send(
        client, duty, "GPS-0002", drive(T0 + timedelta(minutes=10), aside, (site_at[0] + 0.012, site_at[1] + 0.012), 3)
    )
    assert scan(client, duty) == 1  # one excursion, one event, however many fixes outside
    session.rollback()
    kinds = dict(session.execute(select(Violation.kind, func.count()).group_by(Violation.kind)).all())
    assert kinds == {"off_route": 1, "night": 1}
    events = session.scalars(select(Event).where(Event.id.in_(select(Violation.event_id)))).all()
    assert {e.owner_department_id for e in events} == {department_id(session, DISTRICT, "urban_management")}

    # KPIs against a hand count: close the night event through the loop, then 2 violations, 1 closed
    night_event = session.scalar(select(Violation.event_id).where(Violation.kind == "night"))
    cg = login(
        client,
        factory,
        "spb_cg",
        [Role.handler],
        unit_code=DISTRICT,
        department_id=department_id(session, DISTRICT, "urban_management"),
    )
    steps = [(duty, "accept", ""), (duty, "dispatch", ""), (cg, "sign", ""), (cg, "start", "")]
    steps += [(cg, "report", "已查处"), (duty, "verify", "核实"), (duty, "close", "")]
    for who, action, note in steps:
        assert act(client, who.headers, night_event, action, note=note).status_code == 200, action
    session.rollback()
    by_hand = session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.id.in_(select(Violation.event_id)), Event.status == "closed")
    )
    kpis = client.get("/api/muck/kpis", headers=duty.headers).json()
    assert by_hand == 1 and kpis["violations"] == 2 and kpis["closed"] == by_hand and kpis["closure_rate"] == 0.5
    assert kpis["by_kind"] == {"off_route": 1, "night": 1}
