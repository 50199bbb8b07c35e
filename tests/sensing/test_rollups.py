"""Rollups stay exactly the GROUP BY of the raw rows: readings out of order, across batches, and re-sent
(same device, same time) — a re-sent reading is stored once and counted once."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.sensing import fold, jobs
from cityops.sensing.models import Reading, Rollup
from tests.factories import Login
from tests.sensing.conftest import register
from tests.sensing.test_sensing import post


def _expected(session: Session) -> dict[tuple[int, str, datetime], tuple[Any, ...]]:
    """Minute and hour aggregates computed here from the raw rows (the hand count)."""
    groups: dict[tuple[int, str, datetime], list[tuple[datetime, float]]] = defaultdict(list)
    for device_id, ts, value in session.execute(select(Reading.device_id, Reading.ts, Reading.value)):
        groups[(device_id, "m", ts.replace(second=0, microsecond=0))].append((ts, value))
        groups[(device_id, "h", ts.replace(minute=0, second=0, microsecond=0))].append((ts, value))
    return {
        key: (len(rows), round(sum(v for _, v in rows), 6), min(v for _, v in rows), max(v for _, v in rows), max(rows))
        for key, rows in groups.items()
    }


def test_rollups_equal_the_group_by_of_raw_rows(client: TestClient, gateway: Login, session: Session) -> None:
    register(
        client,
        gateway,
        *[
            {"code": f"CQ-WP-{i}", "type": "water_pressure", "name": f"供水{i}", "unit_code": "500103003"}
            for i in (1, 2)
        ],
    )
    rng = random.Random(7)
    base = clock.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    readings = [
        {
            "device": f"CQ-WP-{1 + i % 2}",
            "ts": (base + timedelta(seconds=17 * i)).isoformat(),
            "value": 0.3 + i % 7 / 100,
        }
        for i in range(400)
    ]
    rng.shuffle(readings)  # out of order, across hours and minutes
    resent = rng.sample(readings, 60)  # sent again in a later batch
    batches = [readings[:150], readings[150:300] + readings[140:150], readings[300:] + resent]
    outs = [post(client, gateway, *batch) for batch in batches]
    assert sum(o["accepted"] for o in outs) == 400
    assert sum(o["duplicates"] for o in outs) == 70 and not any(o["rejected"] for o in outs)
    assert session.query(Reading).count() == 400

    stored = {
        (r.device_id, r.period, r.bucket): (r.n, round(r.total, 6), r.min_value, r.max_value, (r.last_ts, r.last_value))
        for r in session.scalars(select(Rollup))
    }
    assert stored == _expected(session)
    assert sum(n for (_, p, _), (n, *_) in stored.items() if p == "h") == 400


def _stored(session: Session) -> dict[tuple[int, str, datetime], tuple[Any, ...]]:
    session.expire_all()
    return {
        (r.device_id, r.period, r.bucket): (r.n, round(r.total, 6), r.min_value, r.max_value, (r.last_ts, r.last_value))
        for r in session.scalars(select(Rollup))
    }


def test_a_heavy_stream_folds_later_and_exactly(
    client: TestClient, gateway: Login, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a heavy stream SQLite folds the rollups every FOLD_ROWS readings or FOLD_SECONDS, not at every
    batch; the worker's job folds what is left, and the rollups are the GROUP BY again — also after the raw
    table was emptied (rowids start again below the watermark)."""
    monkeypatch.setattr(fold, "SMALL_BATCH", 10)  # these batches of 100 count as heavy
    monkeypatch.setattr(fold, "FOLD_SECONDS", 3600.0)
    register(client, gateway, {"code": "CQ-WP-9", "type": "water_pressure", "name": "供水9", "unit_code": "500103003"})
    base = clock.now().replace(second=0, microsecond=0) - timedelta(hours=3)

    def batch(start: int) -> list[dict[str, Any]]:
        return [
            {"device": "CQ-WP-9", "ts": (base + timedelta(seconds=10 * i)).isoformat(), "value": 0.3 + i % 5 / 100}
            for i in range(start, start + 100)
        ]

    for start in (0, 100, 200):
        post(client, gateway, *batch(start))
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # the first batch folded (nothing had been), the next two wait
        assert sum(n for (_, p, _), (n, *_) in _stored(session).items() if p == "h") == 100
    session.rollback()  # a fresh transaction, as the worker's job runs in
    jobs.fold_rollups(session, clock.now())  # the worker's periodic job
    session.commit()
    assert _stored(session) == _expected(session)

    session.rollback()
    session.execute(delete(Reading))  # e.g. retention took every raw row of a long-silent fleet
    session.commit()
    before = _stored(session)
    post(client, gateway, *batch(300))
    post(client, gateway, *batch(400))
    session.rollback()
    jobs.fold_rollups(session, clock.now())
    session.commit()
    after = _stored(session)
    assert sum(n for (_, p, _), (n, *_) in after.items() if p == "h") == 500  # 300 before + 200 new, none lost
    assert {k: v for k, v in after.items() if k not in before or v != before[k]}  # the new ones were folded
