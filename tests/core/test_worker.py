"""Jobs and outbox: exactly one worker runs a job; failures retry with backoff; periodic jobs once per tick."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update
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


def test_a_shared_row_delivers_each_payload_once_and_a_bad_payload_is_retried_alone(
    engine: Engine, frozen: clock.FrozenClock
) -> None:
    """`add_many` puts 50 payloads in a row (`per_row`); a failure rolls the whole row's effects back; failing
    twice, the row is split, keeping its attempts and backoff, and the bad payload alone ends dead while the
    other 119 take effect exactly once (a repeat would hit the primary key and fail)."""
    hooks = build_hooks(Settings(env="test"))

    def record(session: Session, payload: dict[str, Any]) -> None:
        marker = {"id": 1000 + payload["n"]}
        session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (:id, 0, 'x')"), marker)
        if payload["n"] == 7:
            raise ValueError("payload 7 cannot be handled")

    hooks.subscribe("test.many", "record", record)
    factory = make_sessionmaker(engine, hooks)
    with session_scope(factory) as s:
        outbox.add_many(s, "test.many", [{"n": n} for n in range(120)], per_row=50)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(outbox.OutboxMessage)) == 3  # 50 + 50 + 20
    w = Worker(factory, owner="w1", max_attempts=3)
    assert w.deliver_outbox() == 2  # the row holding 7 failed once: retried whole, after its backoff
    frozen.advance(seconds=3)
    assert w.deliver_outbox() == 0  # failed twice: split into 50 rows, each at attempt 2, backing off
    assert w.deliver_outbox() == 0
    frozen.advance(seconds=5)
    assert w.deliver_outbox() == 49  # each alone: 7 fails a third time and is dead
    with factory() as s:
        done = set(s.scalars(select(text("id")).select_from(text("audit_head")).where(text("id >= 1000"))))
        rows = {m.id: m for m in s.scalars(select(outbox.OutboxMessage))}
    assert done == {1000 + n for n in range(120) if n != 7}
    dead = [m for m in rows.values() if m.status == "dead"]
    assert len(dead) == 1 and dead[0].payload == {"n": 7} and dead[0].attempts == 3
    assert "payload 7" in (dead[0].last_error or "")
    split = rows[min(rows)]
    assert split.status == "done" and (split.last_error or "").startswith("split into 50 messages")


def test_a_worker_allowed_one_attempt_splits_a_failing_shared_row_rather_than_lose_it(engine: Engine) -> None:
    """With `outbox_max_attempts` 1 a failing row is dead at once; a shared one is split instead, so the
    payloads that can be delivered still are, and only the bad one ends dead."""
    seen: list[int] = []
    hooks = build_hooks(Settings(env="test"))

    def record(session: Session, payload: dict[str, Any]) -> None:
        if payload["n"] == 3:
            raise ValueError("payload 3 cannot be handled")
        seen.append(payload["n"])

    hooks.subscribe("test.once", "record", record)
    factory = make_sessionmaker(engine, hooks)
    with session_scope(factory) as s:
        outbox.add_many(s, "test.once", [{"n": n} for n in range(5)])
    w = Worker(factory, owner="w1", max_attempts=1)
    assert w.deliver_outbox() == 0  # the shared row failed and was split (its parts back off)
    seen.clear()  # what ran inside the rolled-back transaction took no effect
    with session_scope(factory) as s:
        s.execute(update(outbox.OutboxMessage).values(available_at=clock.now()))  # skip the backoff
    assert w.deliver_outbox() == 4
    with factory() as s:
        statuses = sorted(m.status for m in s.scalars(select(outbox.OutboxMessage)))
    assert sorted(seen) == [0, 1, 2, 4] and statuses == ["dead", "done", "done", "done", "done", "done"]


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


def test_a_slow_external_delivery_holds_no_lock_that_writers_wait_for(engine: Engine) -> None:
    """A webhook that hangs while the worker delivers it: another transaction still writes and commits."""
    arrived, release = threading.Event(), threading.Event()
    delivered: list[dict[str, Any]] = []

    def slow_webhook(hooks: Hooks, payload: dict[str, Any]) -> None:
        arrived.set()
        release.wait(20)
        delivered.append(payload)

    hooks = build_hooks(Settings(env="test"))
    hooks.deliver_outside("test.slow", "test.slow", slow_webhook)
    factory = make_sessionmaker(engine, hooks)
    with session_scope(factory) as s:
        outbox.add(s, "test.slow", n=1)
    worker = Worker(factory, owner="w1")
    delivering = threading.Thread(target=worker.deliver_outbox)
    delivering.start()
    assert arrived.wait(20)
    wrote = threading.Event()

    def write() -> None:
        with session_scope(factory) as s:
            outbox.add(s, "test.other", n=2)
        wrote.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert wrote.wait(15), "a writer waited for the webhook"
    finally:
        release.set()
        delivering.join(30)
        writer.join(30)
    assert delivered == [{"n": 1}] and worker.stats.messages_done >= 1


def test_delivered_messages_are_purged_after_the_retention_and_failed_ones_stay(
    factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    from cityops.core.retention import purge_done

    with session_scope(factory) as s:
        outbox.add(s, "test.nobody", n=1)
        outbox.add(s, "test.nobody", n=2)
    Worker(factory, owner="w1").deliver_outbox()
    with session_scope(factory) as s:
        dead = s.scalars(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id.desc())).first()
        assert dead is not None
        dead.status = "dead"
    frozen.advance(days=13)
    with session_scope(factory) as s:
        assert purge_done(s, clock.now()) == 0  # not old enough yet
    frozen.advance(days=2)
    with session_scope(factory) as s:
        assert purge_done(s, clock.now()) == 1
    with factory() as s:
        assert [m.status for m in s.scalars(select(outbox.OutboxMessage))] == ["dead"]
