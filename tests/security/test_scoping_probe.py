"""The scoping probe: every route the app serves (API, pages, streams, exports, map layers, metrics) is
walked from the route table, so a new endpoint is probed without anyone writing a test for it. A user of
street A — holding every staff role — must see nothing of street B: details and streams of B's objects
answer 403/404, lists and exports carry none of B's markers, and no change to B's objects succeeds."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.sensing.registry import REGISTRY
from tests.factories import login, unit
from tests.plans.conftest import drain

A, B = "500103003", "500103001"
ALL_STAFF_ROLES = [r for r in Role if r is not Role.citizen]

# Routes that answer the same to everyone by design, with the reason. Everything else is probed.
PUBLIC = {
    "/api/health": "liveness, no data",
    "/api/auth/login": "login form",
    "/api/auth/logout": "logout",
    "/login": "login page",
    "/logout": "logout",
    "/": "redirect to the cockpit",
    "/open311/v2/": "Open311 GeoReport v2 is public by design (non-drill events, no personal data), as FixMyStreet",
    "/public/": "民呼我为 citizen pages: a report is tracked by its reference plus the phone's last 4 digits",
}
# Streams never end on their own: probed only with B's ids (which must be refused before streaming).
STREAMS = {"/cockpit/{unit_id}/stream"}


def _public(path: str) -> bool:
    return any(path == p or (len(p) > 1 and p.endswith("/") and path.startswith(p)) for p in PUBLIC)


@dataclass
class StreetB:
    ids: dict[str, Any] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)


def _routes(client: TestClient) -> list[tuple[str, APIRoute]]:
    out = []
    stack = list(client.app.routes)  # type: ignore[attr-defined]
    while stack:
        r = stack.pop(0)
        if hasattr(r, "original_router"):
            stack.extend(r.original_router.routes)
        elif isinstance(r, APIRoute):
            out.extend((m, r) for m in sorted(r.methods - {"HEAD"}))
    return out


@pytest.fixture
def street_b(client: TestClient, factory: sessionmaker[Session], session: Session) -> StreetB:
    """Street B's own users create one of everything there."""
    REGISTRY.__init__()  # type: ignore[misc]
    b = StreetB()
    duty = login(client, factory, "b_duty", [Role.dispatcher, Role.leader], unit_code=B)
    grid = login(client, factory, "b_grid", [Role.grid_worker], unit_code=B)
    gateway = login(client, factory, "b_gateway", [Role.data_admin], unit_code=B)
    ev = client.post(
        "/api/events",
        headers=duty.headers,
        json={
            "category": "municipal.streetlight_fault",
            "description": "PROBE-B-EVENT 路灯不亮",
            "unit_code": B,
            "reporter_phone": "13912345678",
            "source": "citizen",
        },
    )
    assert ev.status_code in (200, 201), ev.text
    r = client.post(
        "/api/devices",
        headers=gateway.headers,
        json=[
            {
                "code": "PROBE-B-DEV",
                "type": "gas_pressure",
                "name": "PROBE-B-DEV",
                "unit_code": B,
                "lon": 106.58,
                "lat": 29.56,
            }
        ],
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/readings",
        headers={**gateway.headers, "Content-Type": "application/x-ndjson"},
        content=json.dumps({"device": "PROBE-B-DEV", "value": 0.5}).encode(),
    )
    alarm_event = r.json()["events_opened"][0]
    plan = client.post(
        "/api/plans",
        headers=duty.headers,
        json={"key": "gas_leak", "unit_id": unit(session, B).id, "spec": {"name": "PROBE-B-PLAN"}},
    )
    assert plan.status_code == 200, plan.text
    report = client.post(
        "/api/direct-reports",
        headers=grid.headers,
        json={"category": "work_safety.gas_leak", "title": "PROBE-B-REPORT", "description": "PROBE-B-REPORT 燃气泄漏"},
    )
    assert report.status_code == 201, report.text
    drain(factory)  # plans start for the alarm's event
    runs = client.get("/api/plan-runs", headers=duty.headers).json()["items"]
    run = client.get(f"/api/plan-runs/{runs[0]['id']}", headers=duty.headers).json()
    alarms = client.get("/api/alarms", headers=duty.headers).json()["items"]
    devices = client.get("/api/devices", headers=duty.headers).json()["items"]
    notices = client.get("/api/notifications", headers=duty.headers).json()["items"]
    b.ids = {
        "unit_id": unit(session, B).id,
        "event_id": ev.json()["id"],
        "device_id": devices[0]["id"],
        "alarm_id": alarms[0]["id"],
        "plan_id": plan.json()["id"],
        "run_id": run["id"],
        "step_id": run["steps"][-1]["id"],
        "report_id": report.json()["id"],
        "alarm_event_id": alarm_event,
        "notification_id": notices[0]["id"],
    }
    b.markers = ["PROBE-B", ev.json()["ref"], report.json()["ref"], "13912345678", "5678"]
    return b


def _fill(path: str, ids: dict[str, Any]) -> str | None:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in ids:
            raise KeyError(name)
        return str(ids[name])

    try:
        return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)
    except KeyError:
        return None


PATH_VALUES = {"action": "accept", "fmt": "json", "code": "municipal.streetlight_fault", "key_id": 1}
QUERY_IDS = ("unit_id", "event_id", "device_id", "department_id")


def test_street_a_sees_nothing_of_street_b_on_any_route(
    client: TestClient, factory: sessionmaker[Session], street_b: StreetB
) -> None:
    a = login(client, factory, "a_everything", ALL_STAFF_ROLES, unit_code=A)
    boards = client.get("/api/boards", headers=a.headers).json()
    shared = {**PATH_VALUES, "indicator_id": boards[0]["runways"][0]["indicators"][0]["id"]}
    ids = {**street_b.ids, **shared}
    probed, leaks = 0, []
    for method, route in _routes(client):
        if _public(route.path):
            continue
        url = _fill(route.path, ids)
        assert url is not None, f"the probe has no value for a path parameter of {method} {route.path}: add one"
        owned = [n for n in re.findall(r"\{(\w+)", route.path) if n in street_b.ids]
        query = {q.name: ids[q.name] for q in route.dependant.query_params if q.name in QUERY_IDS}
        if method == "GET":
            variants = [query] if route.path in STREAMS or owned or not query else [{}, query]
            for params in variants:
                r = client.get(url, headers=a.headers, params=params)
                probed += 1
                found = [m for m in street_b.markers if m in r.text] if r.status_code < 300 else []
                if r.status_code >= 500:
                    leaks.append(f"{method} {url} {params}: {r.status_code}")
                elif (owned or params) and r.status_code < 300 and (owned or found):
                    leaks.append(f"{method} {url} {params}: {r.status_code} for B's object {found}")
                elif found:
                    leaks.append(f"{method} {url} {params}: shows {found}")
        elif owned:
            r = client.request(method, url, headers=a.headers, json={})
            probed += 1
            if r.status_code < 300 or r.status_code >= 500:
                leaks.append(f"{method} {url}: {r.status_code} {r.text[:120]}")
    assert probed > 60
    assert not leaks, "\n".join(leaks)
