"""根治欠薪 test cast: 沙坪坝区's duty officer and its 人力社保 handler, the city's 12345 operator, and a
registered employer with a project (and its wage account) in 磁器口街道."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.wages.credit import make
from tests.factories import Login, department_id, login, unit

DISTRICT, STREET, OTHER_DISTRICT = "500106", "500106004", "500103"
CODE = make("91500106MA5U7Q8W1")  # invented, with a valid check character


@dataclass
class Cast:
    district: Login  # 沙坪坝区 centre duty dispatcher
    hrss: Login  # 沙坪坝区人力资源和社会保障局 handler


@dataclass
class Wide:
    hotline: Login  # city 12345 operator
    other: Login  # 渝中区 duty dispatcher


@pytest.fixture
def cast(client: TestClient, factory: sessionmaker[Session], session: Session) -> Cast:
    return Cast(
        district=login(client, factory, "spb_duty", [Role.dispatcher], unit_code=DISTRICT),
        hrss=login(
            client,
            factory,
            "spb_hrss",
            [Role.handler],
            unit_code=DISTRICT,
            department_id=department_id(session, DISTRICT, "hrss"),
        ),
    )


@pytest.fixture
def wide(client: TestClient, factory: sessionmaker[Session]) -> Wide:
    """Only the tests that look from the city or from another district log these in (logins cost hashing)."""
    return Wide(
        hotline=login(client, factory, "hotline", [Role.dispatcher], unit_code="500000"),
        other=login(client, factory, "yz_duty", [Role.dispatcher], unit_code=OTHER_DISTRICT),
    )


def employer(client: TestClient, who: Login, session: Session, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credit_code": CODE,
        "name": "重庆某建设工程有限公司（演示）",
        "unit_id": unit(session, DISTRICT).id,
    }
    body.update(fields)
    r = client.post("/api/wages/employers", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def project(client: TestClient, who: Login, session: Session, employer_id: int, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "磁器口安置房二期（演示）",
        "employer_id": employer_id,
        "unit_id": unit(session, STREET).id,
        "address": "沙坪坝区磁器口街道",
        "account_bank": "演示银行沙坪坝支行",
        "account_no": "6222000000000001",
        "account_status": "normal",
        "account_opened_on": "2026-01-01",
        "pay_period_days": 31,
    }
    body.update(fields)
    r = client.post("/api/wages/projects", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def act(client: TestClient, headers: dict[str, str], event_id: object, action: str, **body: object) -> Any:
    return client.post(f"/api/events/{event_id}/actions/{action}", headers=headers, json=body)
