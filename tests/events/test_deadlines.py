"""Deadlines under a frozen clock: warnings, overdue, escalation exactly once, working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.outbox import OutboxMessage
from cityops.core.worker import Worker
from cityops.events.calendar import CST, WorkCalendar, parse_duration
from cityops.events.models import EventLog
from tests.events.conftest import Cast
from tests.events.test_loop import act
from tests.factories import report, unit


def _escalations(factory: sessionmaker[Session], event_id: object) -> tuple[int, int]:
    with factory() as s:
        logs = s.scalar(
            select(func.count())
            .select_from(EventLog)
            .where(EventLog.event_id == event_id, EventLog.action == "overdue")
        )
        msgs = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "event.escalated"))
    return int(logs or 0), int(msgs or 0)


def test_unsigned_street_event_goes_overdue_and_escalates_once(
    client: TestClient,
    cast: Cast,
    factory: sessionmaker[Session],
    session: Session,
    frozen: clock.FrozenClock,
) -> None:
    ev = report(
        client,
        cast.citizen.headers,
        category="city_appearance.street_vending",
        description="解放碑步行街流动摊贩占道经营",
    )
    assert ev["owner_unit_id"] == unit(session, "500103003").id
    act(client, cast.street.headers, ev["id"], "accept")
    dispatched = act(client, cast.street.headers, ev["id"], "dispatch")
    assert dispatched["stage"] == "sign"  # nobody signs for it from here on
    due = datetime.fromisoformat(str(dispatched["due_at"]))

    frozen.at = due.replace(tzinfo=UTC) if due.tzinfo is None else due
    frozen.advance(minutes=-30)
    worker = Worker(factory, owner="w1")
    worker.ensure_schedules()
    worker.tick()
    detail = client.get(f"/api/events/{ev['id']}", headers=cast.street.headers).json()
    assert detail["warned"] and not detail["overdue"]
    assert _escalations(factory, ev["id"]) == (0, 0)

    frozen.advance(minutes=31)
    worker.tick()
    from cityops.core.db import session_scope
    from cityops.events import deadlines

    with session_scope(factory) as s:  # the sweep run a second time by hand: nothing left to fire
        assert deadlines.sweep(s, clock.now()).overdue == 0
    restarted = Worker(factory, owner="w2")  # a new worker process after a restart
    restarted.ensure_schedules()
    frozen.advance(minutes=5)
    restarted.tick()
    assert _escalations(factory, ev["id"]) == (1, 1)

    detail = client.get(f"/api/events/{ev['id']}", headers=cast.district.headers).json()
    assert detail["overdue"] and detail["escalation_level"] == 1
    assert detail["supervised_by_unit_id"] == unit(session, "500103").id  # the district centre supervises
    overdue_log = [e for e in detail["timeline"] if e["action"] == "overdue"]
    assert len(overdue_log) == 1 and "渝中区" in overdue_log[0]["note"]
    listed = client.get("/api/events", headers=cast.district.headers, params={"overdue": True}).json()
    assert [e["id"] for e in listed["items"]] == [ev["id"]]
    assert client.get("/api/metrics", headers=cast.district.headers).json()["figures"]["overdue"] == 1

    # Signing starts a fresh stage: the overdue mark clears, the event stays counted as not on time.
    act(client, cast.street.headers, ev["id"], "sign")
    figures = client.get("/api/metrics", headers=cast.district.headers).json()["figures"]
    assert figures["overdue"] == 0 and figures["went_overdue"] == 1


def test_working_days_skip_weekends_and_holidays() -> None:
    cal = WorkCalendar(holidays={date(2026, 3, 4)}, workdays={date(2026, 3, 7)})
    friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=CST)
    assert cal.add(friday_5pm, parse_duration("1wd")) == datetime(2026, 3, 7, 17, 0, tzinfo=CST)  # make-up Saturday
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=CST)
    assert cal.add(monday, parse_duration("3wd")) == datetime(2026, 3, 6, 10, 0, tzinfo=CST)  # Wed is a holiday
    sunday = datetime(2026, 3, 8, 22, 0, tzinfo=CST)
    assert cal.add(sunday, parse_duration("1wd")) == datetime(2026, 3, 10, 8, 30, tzinfo=CST)
    assert cal.add(monday, parse_duration("2h")) == datetime(2026, 3, 2, 12, 0, tzinfo=CST)


def test_calendar_holiday_moves_deadlines(client: TestClient, cast: Cast, frozen: clock.FrozenClock) -> None:
    # Frozen at Monday 2026-03-02 10:00 CST; a normal street_vending matter must be handled in 3 working days.
    r = client.put(
        "/api/calendar", headers=cast.admin.headers, json={"day": "2026-03-03", "kind": "holiday", "name": "测试假日"}
    )
    assert r.status_code == 200
    ev = report(client, cast.citizen.headers, category="city_appearance.street_vending", description="占道")
    for action in ("accept", "dispatch", "sign"):
        out = act(client, cast.street.headers, ev["id"], action)
    due = datetime.fromisoformat(str(out["due_at"])).astimezone(CST)
    assert due.date().isoformat() == "2026-03-06"  # Wed, Thu, Fri (Tuesday is off)
