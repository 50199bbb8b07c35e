"""Inspections: due from the cycle on the working calendar, recorded against the category's checklist with
photos, and — missed — overdue and escalated to the centre above exactly once, under a frozen clock."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events.calendar import CST
from cityops.plans.models import Notification
from cityops.risks import inspections
from cityops.risks.service import todo_items
from tests.factories import Login, login, unit
from tests.plans.conftest import drain
from tests.risks.conftest import DISTRICT, STREET, new_point

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _open_inspection(client: TestClient, who: Login, point_id: int) -> dict[str, object]:
    items = client.get("/api/risks/inspections", headers=who.headers, params={"point_id": point_id}).json()["items"]
    assert len(items) == 1
    return dict(items[0])


def test_deadline_on_the_working_calendar(
    street_duty: Login, client: TestClient, session: Session, frozen: clock.FrozenClock, factory: sessionmaker[Session]
) -> None:
    # Frozen at Monday 2026-03-02 10:00 CST. A 5-day cycle falls on Saturday: due Monday 17:30 instead.
    p = new_point(client, street_duty, session, cycle_days=5)
    due = datetime.fromisoformat(str(_open_inspection(client, street_duty, p["id"])["due_at"])).astimezone(CST)
    assert due == datetime(2026, 3, 9, 17, 30, tzinfo=CST)
    admin = login(client, factory, "rk_admin", [Role.sysadmin], unit_code="500000")
    r = client.put(
        "/api/calendar", headers=admin.headers, json={"day": "2026-03-09", "kind": "holiday", "name": "测试"}
    )
    assert r.status_code == 200
    q = new_point(client, street_duty, session, name="第二点", cycle_days=5)
    due = datetime.fromisoformat(str(_open_inspection(client, street_duty, q["id"])["due_at"])).astimezone(CST)
    assert due == datetime(2026, 3, 10, 17, 30, tzinfo=CST)


def test_recording_checks_every_item_and_schedules_the_next(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    grid = login(client, factory, "rk_grid", [Role.grid_worker], unit_code=STREET)
    p = new_point(client, street_duty, session, cycle_days=15)
    insp = _open_inspection(client, grid, p["id"])
    short = client.post(
        f"/api/risks/inspections/{insp['id']}/result", headers=grid.headers, json={"checks": [{"ok": True}]}
    )
    assert short.status_code == 422 and short.json()["code"] == "risk.checklist_incomplete"
    photo = client.post(
        f"/api/risks/inspections/{insp['id']}/photos",
        headers=grid.headers,
        files={"file": ("crack.png", PNG, "image/png")},
    )
    assert photo.status_code == 201, photo.text
    text = client.post(
        f"/api/risks/inspections/{insp['id']}/photos",
        headers=grid.headers,
        files={"file": ("a.txt", b"hi", "text/plain")},
    )
    assert text.status_code == 422
    got = client.get(f"/api/risks/inspections/{insp['id']}/photos/{photo.json()['id']}", headers=grid.headers)
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    checks = [{"ok": True}] * 4 + [{"ok": False, "note": "避险路线被杂物堵塞"}]
    bad = client.post(
        f"/api/risks/inspections/{insp['id']}/result",
        headers=grid.headers,
        json={"checks": [*checks[:4], {"ok": False}]},
    )
    assert bad.status_code == 422 and bad.json()["data"]["field"] == "checks.4"
    frozen.advance(hours=2)
    done = client.post(
        f"/api/risks/inspections/{insp['id']}/result",
        headers=grid.headers,
        json={"checks": checks, "note": "已通知清理"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["result"] == "fail" and done.json()["checklist"][4]["note"] == "避险路线被杂物堵塞"
    again = client.post(f"/api/risks/inspections/{insp['id']}/result", headers=grid.headers, json={"checks": checks})
    assert again.status_code == 409
    nxt = client.get(
        "/api/risks/inspections", headers=grid.headers, params={"point_id": p["id"], "status": "scheduled"}
    ).json()
    assert nxt["total"] == 1
    assert datetime.fromisoformat(nxt["items"][0]["due_at"]).astimezone(CST).date().isoformat() == "2026-03-17"


def test_a_missed_inspection_escalates_once(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    p = new_point(client, street_duty, session, cycle_days=7)
    insp = _open_inspection(client, street_duty, p["id"])
    due = datetime.fromisoformat(str(insp["due_at"]))
    frozen.at = due
    frozen.advance(minutes=-1)
    drain(factory)
    assert _open_inspection(client, street_duty, p["id"])["overdue"] is False
    frozen.advance(minutes=2)
    drain(factory)
    with session_scope(factory) as s:
        assert inspections.sweep(s, clock.now()) == 0  # a second sweep (or worker) finds nothing left
    frozen.advance(hours=2)
    drain(factory)
    row = _open_inspection(client, street_duty, p["id"])
    assert row["overdue"] is True and row["escalated_to_unit_id"] == unit(session, DISTRICT).id
    with session_scope(factory) as s:
        sent = s.scalars(select(Notification).where(Notification.kind == "risk_inspection_overdue")).all()
        assert [(n.unit_id, n.subject_id) for n in sent] == [(unit(s, DISTRICT).id, row["id"])]
        assert "洪崖洞危岩带" in sent[0].title
    overdue = client.get("/api/risks/inspections", headers=street_duty.headers, params={"overdue": True}).json()
    assert overdue["total"] == 1


def test_todo_offers_inspections_and_hazards(
    street_duty: Login, client: TestClient, session: Session, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    p = new_point(client, street_duty, session, cycle_days=3)
    client.post(
        "/api/risks/hazards", headers=street_duty.headers, json={"point_id": p["id"], "title": "落石", "grade": "major"}
    )
    from cityops.core.actor import Actor

    with session_scope(factory) as s:
        street = unit(s, STREET)
        actor = Actor(
            user_id=1,
            username="rk",
            roles=frozenset({Role.dispatcher}),
            unit_id=street.id,
            unit_path=street.path,
            unit_level="street",
        )
        kinds = sorted(i.kind for i in todo_items(s, actor, clock.now()))
        assert kinds == ["risk.hazard", "risk.inspection"]
        other = unit(s, "500103001")
        stranger = Actor(
            user_id=2,
            username="x",
            roles=frozenset({Role.dispatcher}),
            unit_id=other.id,
            unit_path=other.path,
            unit_level="street",
        )
        assert todo_items(s, stranger, clock.now()) == []
