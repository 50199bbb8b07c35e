"""The platform's own sensor and indicator datasets read through grants of the city centre."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog.models import CatalogEntry
from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.indicators.service import compute
from tests.catalog.conftest import CITY, STREET_A, World, request_body
from tests.factories import login


def _grant(client: TestClient, world: World, centre: dict[str, str], entry_id: int) -> int:
    r = client.post("/api/catalog/requests", headers=world.street.headers, json=request_body(entry_id, []))
    assert r.status_code == 201, r.text
    answer = client.post(f"/api/catalog/requests/{r.json()['id']}/answer", headers=centre, json={"decision": "approve"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["grant"]["id"])


def test_readings_and_indicators_datasets(client: TestClient, factory: sessionmaker[Session], world: World) -> None:
    centre = login(client, factory, "centre_data", [Role.data_admin], unit_code=CITY).headers
    gateway = login(client, factory, "gw_a", [Role.data_admin], unit_code=STREET_A).headers
    device = {"code": "CAT-RAIN-1", "type": "rainfall", "name": "解放碑雨量计", "unit_code": STREET_A}
    assert (
        client.post("/api/devices", headers=gateway, json=[{**device, "lon": 106.58, "lat": 29.56}]).status_code == 200
    )
    lines = "\n".join(json.dumps({"device": "CAT-RAIN-1", "value": v}) for v in (2.0, 4.0))
    r = client.post(
        "/api/readings", headers={**gateway, "Content-Type": "application/x-ndjson"}, content=lines.encode()
    )
    assert r.status_code == 200, r.text
    with session_scope(factory) as s:
        compute(s, clock.now())
        ids = {e.code: e.id for e in s.scalars(select(CatalogEntry).where(CatalogEntry.source.is_not(None)))}

    readings = _grant(client, world, centre, ids["CQ-CO-IOT-0001"])
    body = client.get(f"/api/catalog/grants/{readings}/data", headers=world.street.headers).json()
    rain = [row for row in body["items"] if row["device_type"] == "rainfall"]
    assert len(rain) == 1 and rain[0]["readings"] == 2 and rain[0]["devices"] == 1
    assert (rain[0]["min"], rain[0]["max"], rain[0]["mean"]) == (2.0, 4.0, 3.0)

    indicators = _grant(client, world, centre, ids["CQ-CO-IND-0001"])
    rows = client.get(f"/api/catalog/grants/{indicators}/data", headers=world.street.headers).json()
    # a street's grant covers the street's own values only; city-wide values stay out
    assert rows["items"] and all(row["unit_name"] == "解放碑街道" for row in rows["items"])
