from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import Login, department_id, login


@dataclass
class Cast:
    citizen: Login
    street: Login  # 解放碑街道 duty dispatcher
    other_street: Login  # 七星岗街道 duty dispatcher
    district: Login  # 渝中区 centre duty dispatcher
    leader: Login  # 渝中区 centre leader
    city: Login  # city centre duty dispatcher
    city_leader: Login
    handler: Login  # 渝中区城市管理局 handler
    admin: Login


@pytest.fixture
def cast(client: TestClient, factory: sessionmaker[Session], session: Session) -> Cast:
    cg = department_id(session, "500103", "urban_management")
    return Cast(
        citizen=login(client, factory, "citizen1", [Role.citizen]),
        street=login(client, factory, "jfb_duty", [Role.dispatcher], unit_code="500103003"),
        other_street=login(client, factory, "qxg_duty", [Role.dispatcher], unit_code="500103001"),
        district=login(client, factory, "yz_duty", [Role.dispatcher], unit_code="500103"),
        leader=login(client, factory, "yz_leader", [Role.leader], unit_code="500103"),
        city=login(client, factory, "city_duty", [Role.dispatcher], unit_code="500000"),
        city_leader=login(client, factory, "city_leader", [Role.leader], unit_code="500000"),
        handler=login(client, factory, "yz_cg", [Role.handler], unit_code="500103", department_id=cg),
        admin=login(client, factory, "admin", [Role.sysadmin], unit_code="500000"),
    )
