"""A server's warm-up runs the hot paths before the first request and leaves no trace: no event, timeline
row, outbox message or audit entry is kept, and afterwards the API again asks every caller to log in (the
warm-up's own reader is gone)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops import warm
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry, AuditPending
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from cityops.events.models import Event, EventLog
from tests.factories import login, report


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with session_scope(factory, write=False) as s:
        return {
            m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Event, EventLog, OutboxMessage, AuditPending, AuditEntry)
        }


def test_warm_up_runs_the_hot_paths_and_keeps_nothing(client: TestClient, factory: sessionmaker[Session]) -> None:
    who = login(client, factory, "warm_dispatcher", [Role.dispatcher], unit_code="500103")
    report(client, {"Authorization": f"Bearer {who.token}"})
    before = _counts(factory)

    made = warm.warm_up(client.app, connections=3)  # type: ignore[arg-type]

    assert made == 3 * 3 + 3  # three reads answered on each of three connections, and a rolled-back create on each
    assert _counts(factory) == before
    assert client.get("/api/events").status_code == 401  # the warm-up's reader does not outlive it
    listed = client.get("/api/events", headers={"Authorization": f"Bearer {who.token}"})
    assert listed.status_code == 200 and listed.json()["total"] == 1
