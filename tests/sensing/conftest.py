from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.bench.broker import MOSQUITTO, local_mosquitto
from cityops.core.actor import Role
from tests.factories import Login, login


@pytest.fixture
def gateway(client: TestClient, factory: sessionmaker[Session]) -> Login:
    return login(client, factory, "iot_gateway", [Role.data_admin], unit_code="500000")


def register(client: TestClient, gateway: Login, *devices: Mapping[str, object]) -> dict[str, object]:
    r = client.post("/api/devices", headers=gateway.headers, json=list(devices))
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[str]:
    """A real broker on a free loopback port, started and stopped by the test."""
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is missing: the README's test command installs it from apt")
    with local_mosquitto(str(tmp_path)) as url:
        yield url
