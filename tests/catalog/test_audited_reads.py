"""Reads that write (a grant's data read, audited; an event export, audited) answer on a busy city: on
SQLite a GET's read snapshot cannot become a writer once another writer has committed since it began."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog import grants
from cityops.catalog.models import DataGrant
from cityops.core import audit
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry
from cityops.core.auth import actor_for_token
from cityops.core.db import session_scope
from cityops.events import export
from cityops.events import service as event_service
from cityops.events.schemas import EventRead
from tests.catalog.conftest import World, request_body
from tests.factories import login


def _approved_grant(client: TestClient, world: World) -> int:
    r = client.post("/api/catalog/requests", headers=world.street.headers, json=request_body(world.entry_id, []))
    assert r.status_code == 201, r.text
    answer = client.post(
        f"/api/catalog/requests/{r.json()['id']}/answer", headers=world.provider.headers, json={"decision": "approve"}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["grant"]["id"])


def test_a_grant_read_overtaken_by_another_writer_is_answered_counted_and_audited(
    client: TestClient, factory: sessionmaker[Session], world: World
) -> None:
    grant_id = _approved_grant(client, world)
    reader = factory()  # as a GET's session: no writer's turn taken at its start
    try:
        actor = actor_for_token(reader, world.street.token)
        assert actor is not None
        grant = grants.access_grant(reader, actor, grant_id)  # the read snapshot begins here
        with session_scope(factory) as other:  # another request's write commits meanwhile
            other.execute(text("UPDATE data_grant SET reads = reads + 5 WHERE id = :id"), {"id": grant_id})
        result = grants.read(reader, actor, grant)
        reader.commit()
    finally:
        reader.close()
    assert result.entry.id == world.entry_id
    with session_scope(factory) as s:
        audit.sequence(s)
        assert s.scalar(select(DataGrant.reads).where(DataGrant.id == grant_id)) == 6  # the other's 5 kept
        reads = s.scalar(select(func.count(AuditEntry.seq)).where(AuditEntry.action == "catalog.data_read"))
        assert reads == 1


def test_an_export_overtaken_by_another_writer_is_answered_and_audited(
    client: TestClient, factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the API: the export is read, then a write commits before its audit entry, as when the city's
    reports keep arriving during a long export."""
    real = export.to_csv

    def overtaken(batches: Iterable[list[EventRead]]) -> tuple[str, int]:
        out = real(batches)
        with session_scope(factory) as other:
            other.execute(text("UPDATE app_user SET failed_logins = failed_logins + 1 WHERE username = 'cg_data'"))
        return out

    monkeypatch.setattr(export, "to_csv", overtaken)
    r = client.get("/api/events/export.csv", headers=world.duty.headers)
    assert r.status_code == 200, r.text
    with session_scope(factory) as s:
        audit.sequence(s)
        assert s.scalar(select(func.count(AuditEntry.seq)).where(AuditEntry.action == "event.exported")) == 1


def test_a_phone_revealed_after_another_writer_is_shown_and_audited(
    client: TestClient, factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET that reveals a phone number records who saw it and why: the audit entry takes a writer's turn
    even when another request's write committed after the GET's reads began."""
    r = client.post(
        "/api/events",
        headers=world.duty.headers,
        json={
            "category": "municipal.streetlight_fault",
            "description": "路灯不亮 电话13987654321",
            "address": "渝中区",
        },
    )
    assert r.status_code == 201, r.text
    city = login(client, factory, "duty_city", [Role.dispatcher], unit_code="500000")
    real = event_service.allowed_actions

    def overtaken(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        with session_scope(factory) as other:
            other.execute(text("UPDATE app_user SET failed_logins = failed_logins + 1 WHERE username = 'cg_data'"))
        return out

    monkeypatch.setattr(event_service, "allowed_actions", overtaken)
    params = {"reveal_phone": True, "reason": "回访核实"}
    shown = client.get(f"/api/events/{r.json()['id']}", headers=city.headers, params=params)
    assert shown.status_code == 200, shown.text
    assert "13987654321" in shown.json()["description"]
    with session_scope(factory) as s:
        audit.sequence(s)
        assert s.scalar(select(func.count(AuditEntry.seq)).where(AuditEntry.action == "event.phone_revealed")) == 1
