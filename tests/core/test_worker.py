"""Jobs and outbox: exactly one worker runs a job; failures retry with backoff; periodic jobs once per tick."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock, jobs, outbox
from cityops.core.db import make_sessionmaker, session_scope
from cityops.core.hooks import DuplicateHook, Hooks
from cityops.core.settings import Settings
from cityops.core.worker import Worker
from cityops.runtime import build_hooks

RUNS: list[str] = []
_lock = threading.Lock()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """The platform's hooks plus this module's private task, subscriber and periodic job."""
    hooks = build_hooks(Settings(env="test"))
    hooks.task("test.record_run", _record_run)
    hooks.subscribe("test.flaky", "test.flaky", _flaky)
    hooks.every("test.tick", timedelta(minutes=1), _tick)
    return make_sessionmaker(engine, hooks)


def _record_run(session: Session, payload: dict[str, Any]) -> None:
    session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (:id, 0, 'x')"), {"id": payload["marker"]})
    with _lock:
        RUNS.append(str(payload["marker"]))


def test_job_enqueued_once_runs_once_with_two_workers(factory: sessionmaker[Session]) -> None:
    RUNS.clear()
    with session_scope(factory) as s:
        for marker in range(100, 140):
            jobs.enqueue(s, "test.record_run", {"marker": marker})
    workers = [Worker(factory, owner=f"w{i}", batch=5) for i in range(2)]
    barrier = threading.Barrier(2)

    def drain(w: Worker) -> None:
        barrier.wait()
        while w.run_jobs():
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(RUNS) == sorted(str(m) for m in range(100, 140))  # each once, none twice
    assert sum(w.stats.jobs_done for w in workers) == 40
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(jobs.Job).where(jobs.Job.status == "done")) == 40


def test_dedupe_key_enqueues_once(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        a = jobs.enqueue(s, "test.record_run", {"marker": 200}, dedupe_key="k1")
        b = jobs.enqueue(s, "test.record_run", {"marker": 201}, dedupe_key="k1")
        assert a.id == b.id


ATTEMPTS: list[int] = []


def _flaky(session: Session, payload: dict[str, Any]) -> None:
    ATTEMPTS.append(1)
    if len(ATTEMPTS) < 3:
        raise ConnectionError("webhook down")


def test_outbox_retries_with_backoff_until_delivered(factory: sessionmaker[Session], frozen: clock.FrozenClock) -> None:
    ATTEMPTS.clear()
    with session_scope(factory) as s:
        outbox.add(s, "test.flaky", event_id=1)
    w = Worker(factory, owner="w1")
    assert w.deliver_outbox() == 0 and len(ATTEMPTS) == 1
    assert w.deliver_outbox() == 0 and len(ATTEMPTS) == 1  # backing off: not due yet
    frozen.advance(seconds=3)
    assert w.deliver_outbox() == 0 and len(ATTEMPTS) == 2
    frozen.advance(seconds=5)
    assert w.deliver_outbox() == 1 and len(ATTEMPTS) == 3
    with factory() as s:
        msg = s.scalars(select(outbox.OutboxMessage)).one()
        assert msg.status == "done" and msg.attempts == 3 and "webhook down" in (msg.last_error or "")


def test_crashed_workers_lease_expires_and_another_takes_over(
    factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    from cityops.core import leases

    RUNS.clear()
    with session_scope(factory) as s:
        jobs.enqueue(s, "test.record_run", {"marker": 300})
    with session_scope(factory) as s:  # w1 claims, then "crashes" before running it
        assert len(leases.claim(s, jobs.Job, "w1", clock.now(), lease=timedelta(seconds=60), limit=10)) == 1
    w2 = Worker(factory, owner="w2")
    assert w2.run_jobs() == 0  # still leased to w1
    frozen.advance(seconds=61)
    assert w2.run_jobs() == 1 and RUNS == ["300"]


TICKS: list[str] = []


def _tick(session: Session, now: Any) -> None:
    TICKS.append(now.isoformat())


def test_periodic_job_runs_once_per_interval_across_workers(
    factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    TICKS.clear()
    a, b = Worker(factory, owner="a"), Worker(factory, owner="b")
    a.ensure_schedules()
    b.ensure_schedules()
    a.run_periodic()
    b.run_periodic()
    assert len(TICKS) == 1
    frozen.advance(seconds=30)
    a.run_periodic()
    b.run_periodic()
    assert len(TICKS) == 1
    frozen.advance(seconds=31)
    b.run_periodic()
    a.run_periodic()
    assert len(TICKS) == 2


def test_every_subscriber_of_a_topic_gets_each_message_once(engine: Engine) -> None:
    seen: list[tuple[str, int]] = []
    hooks = build_hooks(Settings(env="test"))
    hooks.subscribe("test.both", "first", lambda s, p: seen.append(("first", p["n"])))
    hooks.subscribe("test.both", "second", lambda s, p: seen.append(("second", p["n"])))
    factory = make_sessionmaker(engine, hooks)
    with session_scope(factory) as s:
        outbox.add(s, "test.both", n=1)
    w = Worker(factory, owner="w1")
    w.deliver_outbox()
    w.deliver_outbox()
    assert sorted(seen) == [("first", 1), ("second", 1)]


def test_a_second_registration_under_one_name_is_refused() -> None:
    hooks = Hooks()
    hooks.subscribe("event.received", "plans.activate", lambda s, p: None)
    with pytest.raises(DuplicateHook):
        hooks.subscribe("event.received", "plans.activate", lambda s, p: None)
    hooks.every("x", timedelta(seconds=1), lambda s, now: None)
    with pytest.raises(DuplicateHook):
        hooks.every("x", timedelta(seconds=2), lambda s, now: None)
    with pytest.raises(DuplicateHook):
        build_hooks(Settings(env="test")).subscribe("event.received", "plans.activate", lambda s, p: None)
