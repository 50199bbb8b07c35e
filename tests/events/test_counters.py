"""Counters without hot rows: concurrent writers add to random shards of each counter key, and every
figure a user sees (received, open, per street and for the city) still equals a full count of the events."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, distinct, func, select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.core.settings import Settings
from cityops.events import metrics
from cityops.events.intake import intake_one
from cityops.events.intake_types import IntakeItem
from cityops.events.models import TERMINAL, Event, EventGauge, EventStat
from cityops.runtime import session_factory
from tests.factories import unit

STREETS = ("渝中区解放碑街道", "渝中区七星岗街道", "沙坪坝区小龙坎街道")
WRITERS, PER_WRITER = 4, 12


def _write(engine: Engine, writer: int) -> None:
    factory = session_factory(engine, Settings(env="test", counter_shards=4))
    for i in range(PER_WRITER):
        with session_scope(factory) as s:  # one transaction per report, as the API commits them
            intake_one(
                s,
                system_actor("system:test"),
                IntakeItem(
                    category="municipal.streetlight_fault",
                    description=f"路灯不亮 {writer}-{i}",
                    address=STREETS[(writer + i) % len(STREETS)],
                    source="import",
                ),
            )


def test_concurrent_writers_spread_over_shards_and_figures_equal_a_full_count(engine: Engine, session: Session) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda w: _write(engine, w), range(WRITERS)))
    today = metrics.local_day(clock.now())
    city, street = unit(session, "500000"), unit(session, "500103003")
    figs = metrics.figures(session, [city.id, street.id], today, today)
    events = session.scalars(select(Event)).all()
    open_ = [e for e in events if e.status not in [s.value for s in TERMINAL]]
    assert figs[city.id].received == len(events) == WRITERS * PER_WRITER
    assert figs[city.id].open == len(open_)
    in_street = [e for e in events if e.unit_path.startswith(street.path)]
    assert 0 < figs[street.id].received == len(in_street) < len(events)
    assert figs[street.id].open == sum(1 for e in open_ if e.unit_path.startswith(street.path))
    # the deltas really are spread: the city's key for today lives in several shards, no single hot row
    shards = session.scalar(
        select(func.count(distinct(EventStat.shard))).where(EventStat.unit_id == city.id, EventStat.day == today)
    )
    gauge_rows = session.scalar(select(func.count()).where(EventGauge.unit_id == city.id))
    assert shards is not None and shards > 1 and gauge_rows is not None and gauge_rows > 1


def test_folding_past_days_keeps_every_figure_and_leaves_one_row_per_key(
    engine: Engine, session: Session, frozen: clock.FrozenClock
) -> None:
    from cityops.events import fold

    for _day in range(3):  # three days of reports from four writers, spread over shards
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(lambda w: _write(engine, w), range(WRITERS)))
        frozen.advance(hours=24)
    today = metrics.local_day(clock.now())
    first = today - timedelta(days=3)
    city = unit(session, "500000")
    before = metrics.figures(session, [city.id], first, today)[city.id]
    with session_scope(session_factory(engine, Settings(env="test"))) as s:
        assert fold.fold_past_days(s, clock.now()) > 0
    session.rollback()
    after = metrics.figures(session, [city.id], first, today)[city.id]
    assert after == before and after.received == len(session.scalars(select(Event)).all()) == 3 * WRITERS * PER_WRITER
    old = session.execute(
        select(EventStat.day, func.count(distinct(EventStat.shard)))
        .where(EventStat.day < today - timedelta(days=1))
        .group_by(EventStat.day)
    ).all()
    assert old and all(n == 1 for _, n in old)  # a past day: one shard (0) per key
    shards_yesterday = session.scalar(
        select(func.count(distinct(EventStat.shard))).where(EventStat.day == today - timedelta(days=1))
    )
    assert shards_yesterday is not None and shards_yesterday > 1  # yesterday and today are left to their writers


def test_the_category_less_total_equals_the_sum_of_every_category(session: Session) -> None:
    """The cockpit reads each unit's total row (category 0); it must equal the per-category rows summed, and a
    listing by category must not show the total as a category of its own."""
    actor = system_actor("system:test")
    reports = [("municipal.streetlight_fault", 3), ("environment.noise", 2)]
    for code, n in reports:
        for i in range(n):
            intake_one(
                session,
                actor,
                IntakeItem(category=code, description=f"{code} {i}", address=STREETS[i % 2], source="import"),
            )
    session.commit()
    today = metrics.local_day(clock.now())
    city = unit(session, "500000")
    categories = session.scalars(
        select(EventStat.category_id).where(EventStat.category_id != metrics.ALL_CATEGORIES).distinct()
    ).all()
    total = metrics.figures(session, [city.id], today, today)[city.id]
    per_category = metrics.figures(session, [city.id], today, today, category_ids=list(categories))[city.id]
    assert total == per_category and total.received == 5 == len(session.scalars(select(Event)).all())
    listed = metrics.by_category(session, city.id, today, today)
    assert sorted(n for _, n in listed) == [2, 3] and metrics.ALL_CATEGORIES not in dict(listed)
    assert metrics.trend(session, city.id, today, today) == [(today, 5, 0)]


def test_committing_transactions_on_postgresql_claim_different_shards(engine: Engine) -> None:
    """Two transactions committing at once never add to the same counter row while a shard is free: the
    second waits on nobody's row lock. When every shard is held the pick falls back to chance."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns, on one shard")
    factory = session_factory(engine, Settings(env="test", counter_shards=2))
    with factory() as a, factory() as b, factory() as c:
        first, second = metrics.pick_shard(a), metrics.pick_shard(b)
        assert {first, second} == {0, 1}
        assert metrics.pick_shard(c) in (0, 1)  # both held: any shard, the writer may wait
        a.commit()  # a's shard is free again at its commit
        assert metrics.pick_shard(c) == first
        b.rollback()
        c.rollback()
