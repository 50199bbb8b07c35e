"""Per-process caches on the request path (who a token belongs to, the work calendar): a change made in
this process is seen by the next request; one made by another process within the cache's TTL."""

from __future__ import annotations

import time
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import auth
from cityops.core.actor import Role
from cityops.core.auth import User
from cityops.core.db import session_scope
from cityops.events import routing
from cityops.events.calendar import load_calendar
from cityops.events.models import WorkCalendarDay
from cityops.org.models import OrgUnit, UnitChange
from tests.factories import login


def test_a_user_deactivated_here_is_refused_on_the_next_request(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    duty = login(client, factory, "cache1", [Role.dispatcher], unit_code="500103")
    assert client.get("/api/auth/me", headers=duty.headers).status_code == 200  # now cached
    with session_scope(factory) as s:
        user = s.scalars(select(User).where(User.username == "cache1")).one()
        user.is_active = False
    assert client.get("/api/auth/me", headers=duty.headers).status_code == 401


def test_a_role_changed_here_takes_effect_on_the_next_request(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    duty = login(client, factory, "cache2", [Role.dispatcher], unit_code="500103")
    assert client.get("/api/auth/me", headers=duty.headers).json()["roles"] == ["dispatcher"]
    with session_scope(factory) as s:
        s.scalars(select(User).where(User.username == "cache2")).one().roles = "leader"
    assert client.get("/api/auth/me", headers=duty.headers).json()["roles"] == ["leader"]


def test_a_token_revoked_by_another_process_stops_working_within_the_ttl(
    client: TestClient, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth._TokenCache, "TTL", 0.2)
    duty = login(client, factory, "cache3", [Role.dispatcher], unit_code="500103")
    assert client.get("/api/auth/me", headers=duty.headers).status_code == 200
    with session_scope(factory) as s:  # raw SQL, as another process's write looks to this one
        s.execute(text("UPDATE api_token SET revoked = :yes"), {"yes": True})
    time.sleep(0.3)
    assert client.get("/api/auth/me", headers=duty.headers).status_code == 401


def test_a_holiday_set_here_is_in_the_next_deadline(factory: sessionmaker[Session]) -> None:
    with session_scope(factory, write=False) as s:
        assert date(2026, 10, 9) not in load_calendar(s).holidays  # now cached
    with session_scope(factory) as s:
        s.add(WorkCalendarDay(day=date(2026, 10, 9), kind="holiday", name="测试假日"))
    with session_scope(factory, write=False) as s:
        assert date(2026, 10, 9) in load_calendar(s).holidays


def test_a_unit_renamed_by_another_process_is_routed_under_its_new_name_within_the_ttl(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The org tree's caches compare a signature (the newest unit, the newest recorded change, how many
    changes) every TTL: a rename leaves the units as they were, so only its `unit_change` row can tell; and
    a change numbered below the newest (PostgreSQL hands out ids before commit, not in commit order) is
    told by the count."""
    monkeypatch.setattr(routing._CACHE, "ttl", 3600.0)

    def name_after_the_ttl(unit_id: int) -> str:
        routing._CACHE._checked = float("-inf")  # as if the TTL had passed (monotonic time starts at boot)
        with session_scope(factory, write=False) as s:
            return routing.context(s).unit(unit_id).name

    with session_scope(factory, write=False) as s:
        unit_id = s.scalars(select(OrgUnit.id).where(OrgUnit.code == "500103")).one()
        assert routing.context(s).unit(unit_id).name == "渝中区"  # now cached
        newest = s.scalar(select(func.max(UnitChange.id))) or 0
    for name, change_id in (("新渝中区", newest + 100), ("又名渝中区", newest + 50)):
        with session_scope(factory) as s:  # raw SQL, as another process's rename looks to this one
            s.execute(text("UPDATE org_unit SET name = :name WHERE id = :id"), {"name": name, "id": unit_id})
            s.execute(
                text(
                    "INSERT INTO unit_change (id, at, kind, unit_id, data, actor_name) "
                    "VALUES (:change, :at, 'rename', :id, '{}', 'other-process')"
                ),
                {"change": change_id, "at": "2026-12-07 00:00:00.000000", "id": unit_id},
            )
        with session_scope(factory, write=False) as s:
            assert routing.context(s).unit(unit_id).name != name  # within the TTL: still the cached tree
        assert name_after_the_ttl(unit_id) == name
