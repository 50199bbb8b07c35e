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

from cityops.core.actor import STAFF_ROLES, Role
from tests.factories import department_id, login, unit
from tests.plans.conftest import drain

A, B = "500103003", "500103001"
ALL_STAFF_ROLES = sorted(STAFF_ROLES)

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
    out: list[tuple[str, APIRoute]] = []
    stack = list(client.app.routes)  # type: ignore[attr-defined]
    while stack:
        r = stack.pop(0)
        if hasattr(r, "original_router"):
            stack.extend(r.original_router.routes)
        elif isinstance(r, APIRoute):
            out.extend((m, r) for m in sorted((r.methods or set()) - {"HEAD"}))
    return out


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """B's uploaded photos go to this test's own directory."""
    monkeypatch.setenv("CITYOPS_FILES_DIR", str(tmp_path / "files"))


@pytest.fixture
def street_b(client: TestClient, factory: sessionmaker[Session], session: Session) -> StreetB:
    """Street B's own users create one of everything there."""
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
    grid_ids = _grid_objects(client, factory, session, duty, b)
    risk = _risk_objects(client, duty, grid, session)
    drain(factory)  # plans start for the alarm's event
    runs = client.get("/api/plan-runs", headers=duty.headers).json()["items"]
    run = client.get(f"/api/plan-runs/{runs[0]['id']}", headers=duty.headers).json()
    alarms = client.get("/api/alarms", headers=duty.headers).json()["items"]
    devices = client.get("/api/devices", headers=duty.headers).json()["items"]
    catalog = _catalog_of_b(client, duty, gateway)
    notices = client.get("/api/notifications", headers=duty.headers).json()["items"]
    b.ids = {
        **catalog,
        "unit_id": unit(session, B).id,
        "event_id": ev.json()["id"],
        "device_id": devices[0]["id"],
        "alarm_id": alarms[0]["id"],
        "plan_id": plan.json()["id"],
        "run_id": run["id"],
        "step_id": run["steps"][-1]["id"],
        "report_id": report.json()["id"],
        "alarm_event_id": alarm_event,
        **grid_ids,
        **{k: v for k, v in risk.items() if k.endswith("_id")},
        "notification_id": notices[0]["id"],
        "spot_id": _hotspot_of_b(factory, session, ev.json()["id"]),
        "deployment_id": _deployment_of_b(client, factory, session),
        **_wages_of_b(client, duty, session),
    }
    b.markers = [
        "PROBE-B",
        ev.json()["ref"],
        report.json()["ref"],
        "13912345678",
        "5678",
        risk["point_ref"],
        risk["hazard_ref"],
        *b.markers,
    ]
    return b


def _wages_of_b(client: TestClient, duty: Any, session: Session) -> dict[str, int]:
    """An employer registered in street B with a construction project there (根治欠薪)."""
    employer = client.post(
        "/api/wages/employers",
        headers=duty.headers,
        json={"credit_code": "91350100M000100Y43", "name": "PROBE-B-EMPLOYER", "unit_id": unit(session, B).id},
    )
    assert employer.status_code == 201, employer.text
    project = client.post(
        "/api/wages/projects",
        headers=duty.headers,
        json={"name": "PROBE-B-PROJECT", "employer_id": employer.json()["id"], "unit_id": unit(session, B).id},
    )
    assert project.status_code == 201, project.text
    return {"employer_id": employer.json()["id"], "project_id": project.json()["id"]}


def _hotspot_of_b(factory: sessionmaker[Session], session: Session, event_id: int) -> int:
    """A 热点问题 in street B around its event (what five similar reports would have formed)."""
    from cityops.ai.models import HotSpot
    from cityops.core import clock
    from cityops.core.db import session_scope
    from cityops.events.models import Event

    street = unit(session, B)
    with session_scope(factory) as s:
        ev = s.get(Event, event_id)
        assert ev is not None
        now = clock.now()
        spot = HotSpot(
            unit_id=street.id,
            unit_path=street.path,
            category_id=ev.category_id,
            title="PROBE-B-HOTSPOT",
            event_ids=[event_id],
            first_at=now,
            last_at=now,
            prompt_text="PROBE-B-HOTSPOT 风险提示",
        )
        s.add(spot)
        s.flush()
        return spot.id


def _deployment_of_b(client: TestClient, factory: sessionmaker[Session], session: Session) -> int:
    """An application deployed at street B by B's own app admin (the ledger itself is the city's)."""
    admin = login(client, factory, "b_app_admin", [Role.app_admin], unit_code=B)
    app_id = client.get("/api/apps", headers=admin.headers).json()["items"][0]["id"]
    dep = client.post(f"/api/apps/{app_id}/deployments", headers=admin.headers, json={"unit_id": unit(session, B).id})
    assert dep.status_code == 201, dep.text
    return int(dep.json()["id"])


def _grid_objects(
    client: TestClient, factory: sessionmaker[Session], session: Session, duty: Any, b: StreetB
) -> dict[str, Any]:
    """Street B's grid with a worker, a patrol plan, a running patrol with a check-in, a report with a photo."""
    from tests.grid.conftest import jpeg

    worker = login(client, factory, "b_patroller", [Role.grid_worker], unit_code=B)
    grid_id = unit(session, "500103001003G01").id
    csv_text = "community_code,seq,name,kind,dedicated_type\n500103001003,1,PROBE-B-GRID,综合网格,\n"
    r = client.post("/api/grids/import", headers=duty.headers, files={"file": ("g.csv", csv_text.encode(), "text/csv")})
    assert r.json()["saved"] == 1, r.text
    body = {"user_id": worker.user_id, "shift": "PROBE-B-SHIFT", "phone": "13900009999"}
    assignment = client.post(f"/api/grids/{grid_id}/workers", headers=duty.headers, json=body)
    assert assignment.status_code == 201, assignment.text
    plan = client.post(f"/api/grids/{grid_id}/patrol-plans", headers=duty.headers, json={"name": "PROBE-B-PATROL"})
    patrol = client.post(f"/api/patrol-plans/{plan.json()['id']}/start", headers=worker.headers)
    client.post(f"/api/patrols/{patrol.json()['id']}/checkins", headers=worker.headers, json={"address": "七星岗"})
    photo = client.post(
        "/api/files", headers=worker.headers, files={"file": ("PROBE-B-PHOTO.jpg", jpeg(), "image/jpeg")}
    )
    rep = client.post(
        "/api/grid-reports",
        headers=worker.headers,
        json={
            "category": "city_appearance.exposed_garbage",
            "description": "PROBE-B-GRID-REPORT",
            "photo_ids": [photo.json()["file_id"]],
        },
    )
    assert rep.status_code == 201, rep.text
    b.markers += ["PROBE-B-GRID", "13900009999", rep.json()["ref"], "PROBE-B-ADMISSION"]
    # A district department's 职责准入 request: decided by the district, invisible to its streets.
    eco = login(
        client,
        factory,
        "b_eco",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "ecology"),
    )
    admission = client.post(
        "/api/duty-admissions",
        headers=eco.headers,
        json={"level": "村社", "list_kind": "配合履职", "name": "PROBE-B-ADMISSION", "reason": "PROBE-B-ADMISSION"},
    )
    assert admission.status_code == 201, admission.text
    # 一表通: B's own report template and a base record of a B community with a filled fact.
    template = client.post(
        "/api/form-templates",
        headers=duty.headers,
        json={
            "name": "PROBE-B-FORM",
            "record_kind": "house",
            "new_fields": [{"code": "probe_b_rooms", "name": "房间数"}],
        },
    )
    assert template.status_code == 201, template.text
    record = client.post(
        "/api/base-records",
        headers=duty.headers,
        json={"community_id": unit(session, "500103001003").id, "kind": "house", "label": "PROBE-B-RECORD"},
    )
    client.put(
        f"/api/base-records/{record.json()['id']}/facts",
        headers=worker.headers,
        json={"values": {"probe_b_rooms": "3"}},
    )
    b.markers.append("PROBE-B-FORM")
    # A duty-list item of another district (items are a district's list; 渝中区's own apply to street A too).
    other_leader = login(client, factory, "b_other_district", [Role.leader], unit_code="500106")
    item = client.post(
        "/api/duty-items",
        headers=other_leader.headers,
        json={"level": "网格", "list_kind": "基本履职", "name": "PROBE-B-DUTY", "categories": []},
    )
    assert item.status_code == 201, item.text
    b.markers.append("PROBE-B-DUTY")
    return {
        "item_id": item.json()["id"],
        "grid_id": grid_id,
        "assignment_id": assignment.json()["id"],
        "patrol_plan_id": plan.json()["id"],
        "patrol_id": patrol.json()["id"],
        "file_id": photo.json()["file_id"],
        "admission_id": admission.json()["id"],
        "template_id": template.json()["id"],
        "record_id": record.json()["id"],
    }


def _catalog_of_b(client: TestClient, duty: Any, gateway: Any) -> dict[str, Any]:
    """Street B's centre catalogues a resource, B's duty officer requests it (granted) and files a 纠错,
    and B registers a capability component: none of it is A's business."""
    entry = {
        "code": "PROBE-B-E1",
        "title": "PROBE-B-ENTRY 街道台账",
        "classification": "部门/街道",
        "summary": "PROBE-B-ENTRY",
        "format_class": "电子表格",
        "format": "xlsx",
        "update_cycle": "每月",
        "share_type": "unconditional",
        "items": [{"name": "probe_b", "label": "PROBE-B-ITEM", "type": "字符"}],
    }
    r = client.post("/api/catalog/entries", headers=gateway.headers, json=entry)
    assert r.status_code == 201, r.text
    entry_id = r.json()["id"]
    assert client.post(f"/api/catalog/entries/{entry_id}/actions/publish", headers=gateway.headers).status_code == 200
    body = {"entry_id": entry_id, "purpose": "PROBE-B-REQUEST", "use_from": "2026-01-01", "use_until": "2026-12-31"}
    req = client.post("/api/catalog/requests", headers=duty.headers, json=body)
    assert req.status_code == 201, req.text
    answer = client.post(
        f"/api/catalog/requests/{req.json()['id']}/answer", headers=gateway.headers, json={"decision": "approve"}
    )
    assert answer.status_code == 200, answer.text
    fix = {"field": "summary", "text": "PROBE-B-CORRECTION"}
    correction = client.post(f"/api/catalog/entries/{entry_id}/corrections", headers=duty.headers, json=fix)
    assert correction.status_code == 201, correction.text
    comp = {"code": "probe-b-comp", "name": "PROBE-B-COMP", "kind": "algorithm", "version": "1", "endpoint": "/x"}
    component = client.post("/api/catalog/components", headers=gateway.headers, json=comp)
    assert component.status_code == 201, component.text
    return {
        "entry_id": entry_id,
        "request_id": req.json()["id"],
        "grant_id": answer.json()["grant"]["id"],
        "correction_id": correction.json()["id"],
        "component_id": component.json()["id"],
    }


def _risk_objects(client: TestClient, duty: Any, grid: Any, session: Session) -> dict[str, Any]:
    """Street B's risk point (linked to its device), its open inspection with a photo, and a hazard."""
    point = client.post(
        "/api/risks/points",
        headers=duty.headers,
        json={
            "name": "PROBE-B-RISK 危岩",
            "category": "geohazard.rock",
            "unit_id": unit(session, B).id,
            "likelihood": 4,
            "consequence": 5,
            "lon": 106.58,
            "lat": 29.56,
            "device_codes": ["PROBE-B-DEV"],
        },
    )
    assert point.status_code == 201, point.text
    inspection = client.get("/api/risks/inspections", headers=duty.headers).json()["items"][0]
    photo = client.post(
        f"/api/risks/inspections/{inspection['id']}/photos",
        headers=grid.headers,
        files={"file": ("b.png", b"\x89PNG\r\n\x1a\nPROBE", "image/png")},
    )
    assert photo.status_code == 201, photo.text
    hazard = client.post(
        "/api/risks/hazards",
        headers=grid.headers,
        json={"point_id": point.json()["id"], "title": "PROBE-B-HAZARD 裂缝", "grade": "major"},
    )
    assert hazard.status_code == 201, hazard.text
    return {
        "point_id": point.json()["id"],
        "point_ref": point.json()["ref"],
        "inspection_id": inspection["id"],
        "photo_id": photo.json()["id"],
        "hazard_id": hazard.json()["id"],
        "hazard_ref": hazard.json()["ref"],
    }


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


PATH_VALUES = {
    "action": "accept",
    "fmt": "json",
    "code": "municipal.streetlight_fault",
    "key_id": 1,
    "key": "events",  # a cockpit map layer
    "model_id": 1,  # AI model versions are city-wide, not a street's
    "decision": "approve",  # 职责准入 decided on its page
}
QUERY_IDS = ("unit_id", "event_id", "device_id", "department_id", "point_id")


def test_street_a_sees_nothing_of_street_b_on_any_route(
    client: TestClient, factory: sessionmaker[Session], street_b: StreetB
) -> None:
    a = login(client, factory, "a_everything", ALL_STAFF_ROLES, unit_code=A)
    boards = client.get("/api/boards", headers=a.headers).json()
    with factory() as s:
        city_department = department_id(s, "500000", "urban_management")  # both streets may browse its entries
    shared = {
        **PATH_VALUES,
        "indicator_id": boards[0]["runways"][0]["indicators"][0]["id"],
        "department_id": city_department,
        "app_id": client.get("/api/apps", headers=a.headers).json()["items"][0]["id"],  # the ledger is city-wide
    }
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
