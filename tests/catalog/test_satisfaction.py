"""数据供需满足率 = fulfilled ÷ settled requests in the period, compared with a hand count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog import requests
from cityops.core import clock
from cityops.core.db import session_scope
from cityops.indicators.models import Indicator, IndicatorValue
from cityops.indicators.service import compute
from tests.catalog.conftest import World, request_body


def test_satisfaction_rate_equals_the_hand_count(
    client: TestClient, factory: sessionmaker[Session], world: World, frozen: clock.FrozenClock
) -> None:
    def submit() -> int:
        r = client.post("/api/catalog/requests", headers=world.street.headers, json=request_body(world.entry_id, []))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def answer(rid: int, decision: str, **extra: str) -> None:
        r = client.post(
            f"/api/catalog/requests/{rid}/answer", headers=world.provider.headers, json={"decision": decision, **extra}
        )
        assert r.status_code == 200, r.text

    ids = [submit() for _ in range(7)]
    answer(ids[0], "approve")
    answer(ids[1], "approve")
    answer(ids[2], "approve_with_conditions", conditions="仅用于内部研判")
    answer(ids[3], "refuse", reason="涉及在办案件")
    r = client.post(f"/api/catalog/requests/{ids[4]}/withdraw", headers=world.street.headers)
    assert r.status_code == 200
    # ids[5] and ids[6] stay unanswered. Before their deadline they are not settled:
    since = until = date(2026, 3, 2)
    with session_scope(factory) as s:
        early = requests.satisfaction(s, "/", date(2026, 1, 1), date(2026, 12, 31))
    assert (early.fulfilled, early.settled) == (3, 4)  # by hand: 3 approved of 4 answered; withdrawn excluded

    frozen.at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # past the 5-working-day deadline of the other two
    with session_scope(factory) as s:
        year = requests.satisfaction(s, "/", date(2026, 1, 1), date(2026, 12, 31))
        day = requests.satisfaction(s, "/", since, until)
        compute(s, clock.now())
    assert (year.fulfilled, year.settled, year.rate) == (3, 6, 0.5)  # 3 ÷ (4 answered + 2 lapsed)
    assert (day.fulfilled, day.settled) == (3, 4)  # the lapsed two fell due on 03-09, outside 03-02

    api = client.get(
        "/api/catalog/satisfaction",
        headers=world.provider.headers,
        params={"since": "2026-01-01", "until": "2026-12-31"},
    ).json()
    assert api["rate"] == 0.5 and api["settled"] == 6
    with session_scope(factory) as s:
        from sqlalchemy import select

        ind = s.scalars(select(Indicator).where(Indicator.code == "catalog_satisfaction")).one()
        value = s.scalars(
            select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id, IndicatorValue.period_key == "2026")
        ).first()
        assert value is not None and value.value == 0.5 and value.status == "red"
        aggregated = s.scalars(select(Indicator).where(Indicator.code == "catalog_aggregated")).one()
        count = s.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id == aggregated.id)).first()
        assert count is not None and count.value == 17.0  # 3 platform datasets + 14 city departments' event statistics
