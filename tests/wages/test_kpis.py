"""根治欠薪 KPIs against a hand count: complaints of two employers (one repeated), one closed with its
recovery, one voided (not counted), an account warning (not a complaint), another district's case (not
the viewer's)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events import service as events
from cityops.events.calendar import CST
from cityops.events.models import Event
from cityops.muck import kpis as muck_kpis
from cityops.wages import cases, kpis, service
from cityops.wages.credit import make
from cityops.wages.defaults import DEFAULT_PAY_PERIOD_DAYS
from cityops.wages.models import WageCase
from tests.factories import unit
from tests.wages.conftest import DISTRICT, OTHER_DISTRICT, STREET, Cast, Wide

TODAY = datetime.now(CST).date()

SYSTEM = system_actor("system:test")


def _walk(s: Session, event_id: int, actions: list[str]) -> None:
    for action in actions:
        events.act(s, SYSTEM, s.get(Event, event_id), action, events.ActionInput(note="测试"))  # type: ignore[arg-type]


def test_kpis_match_a_hand_count(client: TestClient, cast: Cast, wide: Wide, factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        ids = {}
        for key, first17, where in (
            ("a", "91500106MA5U7Q8W1", STREET),
            ("b", "91500106MA5U7Q8W2", STREET),
            ("c", "91500103MA5U7Q8W3", "500103003"),
        ):
            emp = service.register_employer(
                s,
                SYSTEM,
                service.EmployerInput(credit_code=make(first17), name=f"单位{key}", unit_id=unit(s, where).id),
            )
            proj = service.register_project(
                s,
                SYSTEM,
                service.ProjectInput(
                    name=f"项目{key}",
                    employer_id=emp.id,
                    unit_id=unit(s, where).id,
                    pay_period_days=DEFAULT_PAY_PERIOD_DAYS,
                ),
            )
            ids[key] = proj.id

        def complaint(key: str, workers: int, owed: float) -> int:
            item = cases.ComplaintInput(description="欠薪", workers=workers, amount_owed_yuan=owed, project_id=ids[key])
            return cases.file_complaint(s, SYSTEM, item).event_id

        a1, a2, b1, b2, c1 = (
            complaint("a", 10, 50000),
            complaint("a", 4, 12000),
            complaint("b", 3, 9000),
            complaint("b", 2, 800),
            complaint("c", 7, 7000),
        )
        loop = ["accept", "dispatch", "sign", "start", "report", "verify"]
        _walk(s, a1, loop)
        cases.record_recovery(
            s,
            SYSTEM,
            s.scalars(select(WageCase).where(WageCase.event_id == a1)).one(),
            recovered_yuan=48000,
            paid_on=TODAY,
            workers_paid=9,
        )
        _walk(s, a1, ["close"])
        _walk(s, b2, ["void"])
        _walk(s, c1, loop)
        cases.record_recovery(
            s,
            SYSTEM,
            s.scalars(select(WageCase).where(WageCase.event_id == c1)).one(),
            recovered_yuan=7000,
            paid_on=TODAY,
        )
        _walk(s, c1, ["close"])
        assert a2 and b1

    # The cases are filed on the real clock: the period is this (China) year, whatever year the suite runs in.
    period = {"first": f"{TODAY.year}-01-01", "last": f"{TODAY.year}-12-31"}
    got = client.get("/api/wages/kpis", headers=cast.district.headers, params=period).json()
    # by hand, 沙坪坝区 only: a1, a2, b1 count (b2 voided); a1 closed with 48,000 for 9 workers; employer a twice
    assert got == {
        **period,
        "cases": 3,
        "closed": 1,
        "closure_rate": round(1 / 3, 4),
        "recovered_yuan": 48000.0,
        "workers_helped": 9,
        "repeat_employers": 1,
    }
    city = client.get("/api/wages/kpis", headers=wide.hotline.headers, params=period).json()
    assert (city["cases"], city["closed"], city["recovered_yuan"], city["workers_helped"]) == (4, 2, 55000.0, 16)
    other = client.get("/api/wages/kpis", headers=wide.other.headers, params=period).json()
    assert (other["cases"], other["closed"], other["repeat_employers"]) == (1, 1, 0)
    assert OTHER_DISTRICT == "500103" and DISTRICT == "500106"
    doc = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text(encoding="utf-8")
    assert kpis.render_table() in doc and muck_kpis.render_table() in doc  # docs/kpis.md carries both tables
