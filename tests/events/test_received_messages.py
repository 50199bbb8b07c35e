"""A bulk import's `event.received` messages share outbox rows (`outbox.add_many`), yet every subscriber
still receives each new event once, as it does for a single report."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from cityops.core import outbox
from cityops.core.actor import system_actor
from cityops.core.db import make_sessionmaker, session_scope
from cityops.core.settings import Settings
from cityops.core.worker import Worker
from cityops.events import catalogue
from cityops.events.intake import IntakeItem, intake_many
from cityops.runtime import build_hooks


def test_an_import_shares_rows_and_every_subscriber_sees_each_event_once(engine: Engine) -> None:
    seen: list[int] = []
    hooks = build_hooks(Settings(env="test"))
    hooks.subscribe("event.received", "test.seen", lambda s, p: seen.append(p["event_id"]))
    factory = make_sessionmaker(engine, hooks)
    with session_scope(factory) as s:
        cat = next(c for c in catalogue.view(s).by_code.values() if not c.required_fields)
        items = [
            IntakeItem(
                category=cat.code,
                description=f"导入的第{i}条问题",
                source="import",
                unit_code="500103003",
                idempotency_key=f"import-{i}",
            )
            for i in range(45)
        ]
        made = [r.event_id for r in intake_many(s, system_actor("system:test"), items) if r.event_id is not None]
    with factory() as s:
        rows = s.scalar(
            select(func.count()).select_from(outbox.OutboxMessage).where(outbox.OutboxMessage.topic == "event.received")
        )
    assert rows == 3  # 20 + 20 + 5 payloads, not 45 rows
    worker = Worker(factory, owner="w1")
    while worker.deliver_outbox():
        pass
    assert worker.stats.messages_failed == 0  # the platform's own subscribers (plans, ai, risks, wages) too
    assert len(set(made)) == 45 and sorted(seen) == sorted(made)
