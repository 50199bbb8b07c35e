"""Risk register test helpers: the street and district duty officers, and a point registered through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import Login, login, unit

STREET, OTHER_STREET, DISTRICT, CITY = "500103003", "500103001", "500103", "500000"
JIEFANGBEI = (106.5776, 29.5577)  # 解放碑 (a coordinate inside 渝中区 for the map tests)


@pytest.fixture
def street_duty(client: TestClient, factory: sessionmaker[Session]) -> Login:
    return login(client, factory, "rk_street", [Role.dispatcher, Role.leader], unit_code=STREET)


@pytest.fixture
def district_duty(client: TestClient, factory: sessionmaker[Session]) -> Login:
    return login(client, factory, "rk_district", [Role.dispatcher, Role.leader], unit_code=DISTRICT)


def new_point(client: TestClient, who: Login, session: Session, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "洪崖洞危岩带",
        "category": "geohazard.rock",
        "unit_id": unit(session, STREET).id,
        "likelihood": 3,
        "consequence": 4,
        "address": "渝中区解放碑街道沧白路",
        "lon": JIEFANGBEI[0],
        "lat": JIEFANGBEI[1],
        "responsible_person": "张工",
        "control_measures": "设置警示牌；雨季每日巡查",
        "reasons": "坡体存在卸荷裂隙，下方为步行道",
    }
    body.update(fields)
    r = client.post("/api/risks/points", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
