"""The catalogue's test world: the platform's self-catalogue, a city department's data_admin, a street."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog.models import CatalogEntry
from cityops.catalog.sources import seed_self_catalogue
from cityops.core.actor import Role, system_actor
from cityops.core.db import session_scope
from cityops.events.calendar import CST
from tests.factories import Login, department_id, login

CITY, STREET_A, STREET_B = "500000", "500103003", "500103001"
# A use period around today (China days), so a grant is readable whenever the suite runs.
_TODAY = datetime.now(CST).date()
USE_FROM, USE_UNTIL = (_TODAY - timedelta(days=30)).isoformat(), (_TODAY + timedelta(days=180)).isoformat()
URBAN_ENTRY = "CQ-URBANMANAGEMENT-EVT-0001"


@dataclass
class World:
    provider: Login  # 市城市管理局 data_admin
    street: Login  # a handler of street A
    other_street: Login  # a handler of street B
    duty: Login  # street A's dispatcher (reports events)
    dept_id: int
    entry_id: int


@pytest.fixture
def world(client: TestClient, factory: sessionmaker[Session]) -> World:
    with session_scope(factory) as s:
        seed_self_catalogue(s, system_actor("system:test"))
    with session_scope(factory) as s:
        dept = department_id(s, CITY, "urban_management")
        entry_id = s.scalar(select(CatalogEntry.id).where(CatalogEntry.code == URBAN_ENTRY))
    assert entry_id is not None
    return World(
        provider=login(client, factory, "cg_data", [Role.data_admin], unit_code=CITY, department_id=dept),
        street=login(client, factory, "jd_a", [Role.handler], unit_code=STREET_A),
        other_street=login(client, factory, "jd_b", [Role.handler], unit_code=STREET_B),
        duty=login(client, factory, "duty_a", [Role.dispatcher], unit_code=STREET_A),
        dept_id=dept,
        entry_id=int(entry_id),
    )


def request_body(entry_id: int, fields: list[str], **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "entry_id": entry_id,
        "purpose": "街道网格化治理研判：分析辖区城市管理类事件高发点位",
        "fields": fields,
        "use_from": USE_FROM,
        "use_until": USE_UNTIL,
    }
    body.update(extra)
    return body
