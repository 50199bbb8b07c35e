"""渣土治理 test helpers: a point in a field of 沙坪坝区 (from the district's own outline, so the event's
district is known), a licensed disposal site 2 km away, a truck registered with its GPS channels, and
positions sent as sensing readings (three channels per fix)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.org.models import UnitGeometry
from tests.factories import Login, login, unit

DISTRICT = "500106"


@pytest.fixture
def duty(client: TestClient, factory: sessionmaker[Session]) -> Login:
    return login(client, factory, "spb_muck", [Role.dispatcher, Role.data_admin], unit_code=DISTRICT)


def places(session: Session) -> tuple[tuple[float, float], tuple[float, float]]:
    """(a field, a disposal site 2 km east or west) both inside 沙坪坝区's outline."""
    geometry = session.scalar(select(UnitGeometry.geojson).where(UnitGeometry.unit_id == unit(session, DISTRICT).id))
    assert geometry
    outline = shape(json.loads(geometry))
    p = outline.representative_point()
    for dx in (0.02, -0.02, 0.0):
        if outline.contains(Point(p.x + dx, p.y + 0.002)):
            return (round(p.x, 6), round(p.y, 6)), (round(p.x + dx, 6), round(p.y + 0.002, 6))
    raise AssertionError("no second point inside the district")


def new_site(client: TestClient, who: Login, session: Session, lon: float, lat: float, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "disposal",
        "name": "演示消纳场",
        "unit_id": unit(session, DISTRICT).id,
        "lon": lon,
        "lat": lat,
        "radius_m": 300,
    }
    body.update(fields)
    r = client.post("/api/muck/sites", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def new_truck(client: TestClient, who: Login, session: Session, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "GPS-0001",
        "plate": "渝A12345",
        "unit_id": unit(session, DISTRICT).id,
        "company": "演示运输公司",
    }
    body.update(fields)
    r = client.post("/api/muck/trucks", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def fixes_lines(code: str, fixes: list[tuple[datetime, float, float, float]]) -> list[dict[str, Any]]:
    out = []
    for ts, lon, lat, speed in fixes:
        stamp = ts.isoformat()
        out += [
            {"device": f"{code}.lat", "ts": stamp, "value": lat},
            {"device": f"{code}.lon", "ts": stamp, "value": lon},
            {"device": f"{code}.spd", "ts": stamp, "value": speed},
        ]
    return out


def send(client: TestClient, who: Login, code: str, fixes: list[tuple[datetime, float, float, float]]) -> None:
    body = "\n".join(json.dumps(o) for o in fixes_lines(code, fixes))
    r = client.post("/api/readings", headers=who.headers, content=body.encode())
    assert r.status_code == 200 and not r.json()["rejected"], r.text


def drive(
    start: datetime, a: tuple[float, float], b: tuple[float, float], minutes: int, *, speed: float = 30
) -> list[tuple[datetime, float, float, float]]:
    """A fix every 30 s moving straight from a to b."""
    n = minutes * 2
    return [
        (start + timedelta(seconds=30 * i), a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n, speed)
        for i in range(1, n + 1)
    ]


def stand(start: datetime, at: tuple[float, float], minutes: int) -> list[tuple[datetime, float, float, float]]:
    """A fix every 30 s standing still (a few metres of GPS jitter)."""
    return [
        (start + timedelta(seconds=30 * i), at[0] + (0.00002 if i % 2 else 0), at[1], 0.0)
        for i in range(1, minutes * 2 + 1)
    ]
