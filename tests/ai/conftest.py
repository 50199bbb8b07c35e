"""AI tests: closed history made from our own corpus in two communities of 解放碑街道, through intake and
closure; the first texts of each category are history, the last ones only ever unseen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai import corpus, service, training
from cityops.core import outbox
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from tests.factories import unit

STREET = "500103003"  # 解放碑街道
COMMUNITY = "500103003017"  # 邹容路社区
OTHER_COMMUNITY = "500103003013"  # 民生路社区
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
def history(factory: sessionmaker[Session]) -> dict[str, object]:
    """Closed events from the corpus (each seen text once, then the unseen ones, newest), a model trained
    and made live. Returns its id and its figures."""
    seen, unseen = corpus.split(corpus.load())
    actor = system_actor("system:test")
    with session_scope(factory) as s:
        units = [unit(s, COMMUNITY).id, unit(s, OTHER_COMMUNITY).id]
        corpus.make_history(s, actor, seen, unit_ids=units, start=START, copies=1)
        later = START.replace(month=2)
        corpus.make_history(s, actor, unseen, unit_ids=units, start=later, copies=1, first_wrong=0, seed=5)
        s.execute(delete(OutboxMessage))  # history imported before the AI was installed: nothing to answer
    with session_scope(factory) as s:
        total = training.closed_count(s)
        model = training.train_version(s, actor, holdout=len(unseen) / total)
        service.activate(s, actor, model)
        return {"id": model.id, "version": model.version, "metrics": dict(model.metrics)}


def answer_received(factory: sessionmaker[Session]) -> int:
    """Hand every `event.received` message to the AI's subscriber, as the worker does (without running every
    other domain's jobs); the messages stay queued, so a later worker pass redelivers them."""
    from sqlalchemy import select

    from cityops.ai import auto

    with session_scope(factory) as s:
        payloads = [
            payload
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "event.received").order_by(OutboxMessage.id)
            )
            for payload in outbox.payloads_of(dict(m.payload))
        ]
    for payload in payloads:
        with session_scope(factory) as s:
            auto.on_received(s, payload)
    return len(payloads)
