"""Each closed-loop KPI against a hand count over the same rows: a street's events taken through the loop
(closed on time, reworked, returned, closed late, left overdue, rated), counted by hand from the events and
their timelines, equal the street's /api/metrics, its runway (/api/boards), its indicator page and its
cockpit tiles — and differ from the city's. After midnight the rolling figures stay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events import deadlines, kpis
from cityops.events.calendar import CST
from cityops.events.models import TERMINAL, Event, EventLog
from cityops.indicators import service as indicator_service
from tests.factories import PASSWORD, Login, department_id, login, report, unit

STREET, OTHER_STREET, DISTRICT = "500103003", "500103001", "500103"  # 解放碑街道, 七星岗街道, 渝中区


@dataclass
class Rows:
    events: list[Event]
    logs: list[EventLog]
    since_day: object
    today: object


def _rate(top: int, bottom: int) -> float | None:
    return round(top / bottom, 4) if bottom else None


def _day(at: object) -> object:
    return at.astimezone(CST).date()  # type: ignore[attr-defined]


def _in_window(rows: Rows, at: object) -> bool:
    return rows.since_day <= _day(at) <= rows.today  # type: ignore[operator]


def _open(rows: Rows) -> list[Event]:
    return [e for e in rows.events if e.status not in [s.value for s in TERMINAL]]


def _logs(rows: Rows, *actions: str) -> list[EventLog]:
    return [g for g in rows.logs if g.action in actions and _in_window(rows, g.at)]


def _closed(rows: Rows) -> tuple[int, int]:
    closes = _logs(rows, "close")
    by_id = {e.id: e for e in rows.events}
    return len(closes), sum(1 for g in closes if not by_id[g.event_id].ever_overdue)


def _rated(rows: Rows) -> tuple[int, int]:
    rated = [e for e in rows.events if e.rated_at is not None and _in_window(rows, e.rated_at)]
    return len(rated), sum(1 for e in rated if e.rating in ("satisfied", "basically_satisfied"))


# The hand count of every KPI, written out again from the rows (not through the code under test).
HAND: dict[str, Callable[[Rows], float | None]] = {
    "on_time_rate": lambda r: _rate(_closed(r)[1], _closed(r)[0] + sum(e.overdue for e in _open(r))),
    "closure_rate": lambda r: _rate(_closed(r)[0], _closed(r)[0] + len(_open(r))),
    "rework_rate": lambda r: _rate(len(_logs(r, "reject")), len(_logs(r, "verify", "reject"))),
    "overdue_rate": lambda r: _rate(sum(e.overdue for e in _open(r)), len(_open(r))),
    "satisfaction_rate": lambda r: _rate(_rated(r)[1], _rated(r)[0]),
    "return_rate": lambda r: _rate(len(_logs(r, "return")), sum(_in_window(r, e.received_at) for e in r.events)),
    "received": lambda r: sum(_in_window(r, e.received_at) for e in r.events),
    "avg_handling_hours": lambda r: (
        round(
            sum((r_.closed_at - r_.received_at).total_seconds() for r_ in r.events if r_.closed_at) / 3600 / n,
            2,
        )
        if (n := _closed(r)[0])
        else None
    ),
    "received_today": lambda r: sum(_day(e.received_at) == r.today for e in r.events),
    "closed_today": lambda r: sum(_day(g.at) == r.today for g in r.logs if g.action == "close"),
    "open": lambda r: len(_open(r)),
    "overdue": lambda r: sum(e.overdue for e in _open(r)),
}


def test_every_kpi_has_a_hand_count_and_a_documented_definition() -> None:
    assert set(HAND) == set(kpis.KPIS)
    doc = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text(encoding="utf-8")
    assert kpis.render_table() in doc  # docs/kpis.md carries the table the code defines


def _act(client: TestClient, who: Login, eid: object, action: str, **body: object) -> None:
    r = client.post(f"/api/events/{eid}/actions/{action}", headers=who.headers, json=body)
    assert r.status_code == 200, (action, r.text)


def _loop(client: TestClient, duty: Login, handler: Login, eid: object, *, rework: bool = False) -> None:
    _act(client, duty, eid, "dispatch")
    _act(client, handler, eid, "sign")
    _act(client, handler, eid, "start")
    _act(client, handler, eid, "report", note="已处置")
    if rework:
        _act(client, duty, eid, "reject", note="现场仍未修复")
        _act(client, handler, eid, "report", note="已再次处置")
    _act(client, duty, eid, "verify", note="核查通过")
    _act(client, duty, eid, "close")


def _relogin(client: TestClient, cast: dict[str, Login]) -> None:
    """Tokens last 12 hours: after a jump of the frozen clock, log everyone in again."""
    for name, who in cast.items():
        r = client.post("/api/auth/login", json={"username": who.username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        cast[name] = Login(who.username, who.user_id, r.json()["token"])
    client.cookies.clear()


def _scenario(client: TestClient, factory: sessionmaker[Session], session: Session) -> dict[str, Login]:
    cg = department_id(session, DISTRICT, "urban_management")
    cast = {
        "citizen": login(client, factory, "k_citizen", [Role.citizen]),
        "duty": login(client, factory, "k_duty", [Role.dispatcher], unit_code=DISTRICT),
        "handler": login(client, factory, "k_cg", [Role.handler], unit_code=DISTRICT, department_id=cg),
        "street": login(client, factory, "k_street", [Role.dispatcher], unit_code=STREET),
        "city": login(client, factory, "k_city", [Role.leader], unit_code="500000"),
    }
    c, duty, handler = cast["citizen"], cast["duty"], cast["handler"]
    ids = [report(client, c.headers, address=f"渝中区解放碑街道临江支路{i}号")["id"] for i in range(5)]
    report(client, c.headers, address="渝中区七星岗街道中山一路")  # the district's, not the street's
    report(client, c.headers, address="沙坪坝区小龙坎街道")  # the city's only
    for eid in ids:
        _act(client, duty, eid, "accept")
    _loop(client, duty, handler, ids[0])
    _act(client, c, ids[0], "rate", rating="satisfied")
    _loop(client, duty, handler, ids[1], rework=True)
    _act(client, c, ids[1], "rate", rating="unsatisfied")
    _act(client, duty, ids[2], "dispatch")
    _act(client, handler, ids[2], "return", note="不属于本部门职责")
    clock.freeze(clock.now() + timedelta(hours=8))  # nobody touched ids[3], ids[4]: their deadlines pass
    with session_scope(factory) as s:
        assert deadlines.sweep(s, clock.now()).overdue >= 2
    _loop(client, duty, handler, ids[4])  # closed late
    _act(client, c, ids[4], "rate", rating="basically_satisfied")
    return cast


def _rows(session: Session, code: str) -> Rows:
    path = unit(session, code).path
    session.rollback()  # a fresh snapshot: the API committed since
    events = list(session.scalars(select(Event).where(Event.unit_path.startswith(path))))
    logs = list(session.scalars(select(EventLog).where(EventLog.event_id.in_([e.id for e in events]))))
    since, today = kpis.window("30d", clock.now())
    return Rows(events, logs, since, today)


def _check_all(client: TestClient, session: Session, who: Login, code: str) -> dict[str, Any]:
    rows = _rows(session, code)
    unit_id = unit(session, code).id
    figures = client.get("/api/metrics", headers=who.headers, params={"unit_id": unit_id}).json()["figures"]
    today = client.get(
        "/api/metrics",
        headers=who.headers,
        params={"unit_id": unit_id, "since": str(rows.today), "until": str(rows.today)},
    ).json()["figures"]
    boards = client.get("/api/boards", headers=who.headers, params={"unit_id": unit_id}).json()
    by_code = {i["code"]: i for b in boards for r in b["runways"] for i in r["indicators"]}
    for code_, hand in HAND.items():
        expected = hand(rows)
        api_name = code_.removesuffix("_today")
        got = (today if kpis.KPIS[code_].period == "today" else figures)[api_name]
        assert got == expected, (code, code_, got, expected)
        for ind in by_code.values():
            if ind["code"] == code_ or (code_ == "satisfaction_rate" and ind["code"] == "satisfaction"):
                assert ind["latest"]["value"] == expected and ind["latest"]["scope"] == "unit", (code_, ind)
    return by_code


def test_each_kpi_equals_a_hand_count_for_the_street_district_and_city(
    client: TestClient, factory: sessionmaker[Session], session: Session, frozen: clock.FrozenClock
) -> None:
    cast = _scenario(client, factory, session)
    street = _check_all(client, session, cast["street"], STREET)
    _check_all(client, session, cast["duty"], DISTRICT)
    city = _check_all(client, session, cast["city"], "500000")
    assert street["received"]["latest"]["value"] == 5 and city["received"]["latest"]["value"] == 7
    hand = _rows(session, STREET)
    assert HAND["rework_rate"](hand) == 0.25  # 1 rejection in 4 verifications
    assert HAND["on_time_rate"](hand) == 0.4  # 2 on time ÷ (3 closed + 2 open overdue)
    # the street's cockpit tiles carry the same figures, with their periods named
    tiles = client.get(f"/cockpit/{unit(session, STREET).id}/summary.json", headers=cast["street"].headers).json()
    shown = {t["key"]: t for t in tiles["tile_list"]}
    assert shown["on_time_rate"]["value"] == HAND["on_time_rate"](hand)
    assert shown["on_time_rate"]["period"] == "近30日（含今日）" and shown["received_today"]["period"].startswith(
        "今日"
    )
    # the indicator page: the periodic job stores the same value, shown as a percentage
    with session_scope(factory) as s:
        indicator_service.compute(s, clock.now())
    on_time = street["on_time_rate"]["id"]
    page = client.get(
        f"/api/indicators/{on_time}", headers=cast["street"].headers, params={"unit_id": unit(session, STREET).id}
    ).json()
    assert page["current"]["value"] == page["history"][-1]["value"] == 0.4
    assert page["display"] == page["history"][-1]["display"] == "40.0%" and page["period_name"] == "近30日（含今日）"
    # after midnight (China time) the rolling rates stay; today's counts start again from zero
    local = clock.now().astimezone(CST)
    clock.freeze((local + timedelta(days=1)).replace(hour=0, minute=5))
    _relogin(client, cast)
    after = client.get("/api/metrics", headers=cast["street"].headers).json()["figures"]
    assert after["on_time_rate"] == HAND["on_time_rate"](hand) and after["received"] == 5
    assert _check_all(client, session, cast["street"], STREET)["on_time_rate"]["latest"]["value"] == 0.4
