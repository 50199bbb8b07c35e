"""Plans configured at three levels: the street override wins, once per event; tasks land with the right
departments and deadlines, go overdue once and escalate; a run closes only when its mandatory steps are
done or skipped with a reason; YAML round trip; drills stay inside the system."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events.models import Event
from cityops.org.models import Centre
from cityops.plans import activation, runs
from cityops.plans.jobs import PLANS
from cityops.plans.models import PlanRun
from cityops.plans.notify import LOGGING_SMS
from tests.factories import department_id, login, unit
from tests.plans.conftest import WebhookReceiver, drain
from tests.sensing.conftest import register

STREET, OTHER_STREET, DISTRICT = "500103003", "500103001", "500103"
OVERRIDE = {
    "steps": [
        {"key": "evacuate", "deadline": "15m", "title": "解放碑商圈：疏散步行街人群，关闭周边商铺明火"},
        {"key": "door_to_door", "kind": "task", "title": "逐户排查楼宇燃气用户", "level": "street", "deadline": "1h"},
    ]
}


def _gas_device(code: str, unit_code: str) -> dict[str, object]:
    return {
        "code": code,
        "type": "gas_pressure",
        "name": f"调压站{code}",
        "unit_code": unit_code,
        "lon": 106.577,
        "lat": 29.557,
    }


def _reading(client: TestClient, headers: dict[str, str], device: str, value: float) -> dict[str, object]:
    line = json.dumps({"device": device, "value": value, "ts": clock.now().isoformat()})
    r = client.post("/api/readings", headers={**headers, "Content-Type": "application/x-ndjson"}, content=line)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_gas_alarm_activates_the_street_override_once_with_department_tasks(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    street = login(client, factory, "jfb_duty", [Role.dispatcher], unit_code=STREET)
    r = client.post(
        "/api/plans",
        headers=street.headers,
        json={"key": "gas_leak", "unit_id": unit(session, STREET).id, "spec": OVERRIDE},
    )
    assert r.status_code == 200, r.text
    override_id = r.json()["id"]
    # A street cannot configure its neighbour's plans.
    r = client.post(
        "/api/plans",
        headers=street.headers,
        json={"key": "gas_leak", "unit_id": unit(session, OTHER_STREET).id, "spec": OVERRIDE},
    )
    assert r.status_code == 404

    gateway = login(client, factory, "gw", [Role.data_admin], unit_code="500000")
    register(client, gateway, _gas_device("CQ-GP-1", STREET), _gas_device("CQ-GP-2", OTHER_STREET))
    t0 = clock.now()
    opened = _reading(client, gateway.headers, "CQ-GP-1", 0.5)  # critical: below 0.8 kPa
    assert len(opened["events_opened"]) == 1  # type: ignore[arg-type]
    event_id = opened["events_opened"][0]  # type: ignore[index]
    _reading(client, gateway.headers, "CQ-GP-2", 0.5)
    drain(factory)
    _reading(client, gateway.headers, "CQ-GP-1", 5.0)  # a second alarm type on the same device and event
    drain(factory)
    with session_scope(factory) as s:  # a redelivered message: still one run
        event = s.get(Event, event_id)
        assert event is not None
        assert activation.activate_for_event(s, PLANS, event) == []

    district = login(client, factory, "yz_duty", [Role.dispatcher], unit_code=DISTRICT)
    listed = client.get("/api/plan-runs", headers=district.headers).json()["items"]
    mine = [r for r in listed if r["event_id"] == event_id]
    assert len(mine) == 1
    run = client.get(f"/api/plan-runs/{mine[0]['id']}", headers=street.headers).json()
    assert run["plan_id"] == override_id and [lvl["level"] for lvl in run["levels"]] == ["city", "street"]
    steps = {s["key"]: s for s in run["steps"]}
    assert steps["evacuate"]["title"].startswith("解放碑商圈") and steps["door_to_door"]["level"] == "street"
    assert steps["evacuate"]["unit_id"] == unit(session, STREET).id

    def due(step: dict[str, object]) -> timedelta:
        at = datetime.fromisoformat(str(step["due_at"]))
        return at.replace(tzinfo=t0.tzinfo) - t0 if at.tzinfo is None else at - t0

    assert timedelta(minutes=15) <= due(steps["evacuate"]) < timedelta(minutes=16)
    housing = department_id(session, DISTRICT, "housing")
    assert steps["shut_off"]["department_id"] == housing and steps["shut_off"]["unit_id"] == unit(session, DISTRICT).id
    assert timedelta(hours=1) <= due(steps["shut_off"]) < timedelta(hours=1, minutes=1)
    assert steps["notify_street"]["status"] == "done"  # notifications are sent at activation

    # The neighbouring street has no override: the city template runs there.
    other = [r for r in listed if r["event_id"] != event_id]
    assert len(other) == 1 and [lvl["level"] for lvl in other[0]["levels"]] == ["city"]

    # The housing department sees its task; the ecology department does not.
    housing_user = login(client, factory, "yz_housing", [Role.handler], unit_code=DISTRICT, department_id=housing)
    tasks = client.get("/api/plan-tasks", headers=housing_user.headers).json()["items"]
    assert {t["key"] for t in tasks} == {"shut_off"} and len(tasks) == 2  # one per gas event in the district
    ecology = login(
        client,
        factory,
        "yz_eco",
        [Role.handler],
        unit_code=DISTRICT,
        department_id=department_id(session, DISTRICT, "ecology"),
    )
    assert client.get("/api/plan-tasks", headers=ecology.headers).json()["items"] == []
    told = client.get("/api/notifications", headers=housing_user.headers).json()["items"]
    assert [n["kind"] for n in told] == ["plan_task", "plan_task"]  # shut_off, for each gas event
    assert client.get("/api/notifications", headers=ecology.headers).json()["items"] == []
    step_url = f"/api/plan-runs/{run['id']}/steps/{steps['shut_off']['id']}"
    assert client.post(step_url, headers=ecology.headers, json={"action": "done"}).status_code == 403
    r = client.post(step_url, headers=housing_user.headers, json={"action": "done", "checklist": [True] * 4})
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    timeline = client.get(f"/api/events/{event_id}", headers=street.headers).json()["timeline"]
    assert any("启动预案「燃气泄漏应急预案」" in e["note"] for e in timeline)
    assert sum("启动预案" in e["note"] for e in timeline) == 1


def test_tasks_go_overdue_once_and_a_run_closes_only_when_mandatory_steps_are_settled(
    client: TestClient, factory: sessionmaker[Session], session: Session, frozen: clock.FrozenClock
) -> None:
    street = login(client, factory, "jfb_duty", [Role.dispatcher], unit_code=STREET)
    district = login(client, factory, "yz_duty", [Role.dispatcher], unit_code=DISTRICT)
    r = client.post(
        "/api/plan-runs",
        headers=street.headers,
        json={"plan_key": "road_collapse", "unit_id": unit(session, STREET).id, "reason": "巡查发现路面塌陷"},
    )
    assert r.status_code == 201, r.text
    run = r.json()
    steps = {s["key"]: s for s in run["steps"]}

    frozen.advance(minutes=31)  # the 30-minute cordon task is late
    drain(factory)
    with session_scope(factory) as s:
        assert runs.sweep(s, clock.now()) == 0  # swept twice: it fires once
    detail = client.get(f"/api/plan-runs/{run['id']}", headers=street.headers).json()
    cordon = next(s for s in detail["steps"] if s["key"] == "cordon")
    assert cordon["overdue"] and cordon["escalated_at"]
    told = client.get("/api/notifications", headers=district.headers).json()["items"]
    assert sum(n["kind"] == "task_overdue" for n in told) == 1

    close = f"/api/plan-runs/{run['id']}/close"
    r = client.post(close, headers=street.headers, json={})
    assert r.status_code == 409 and {p["key"] for p in r.json()["data"]["pending"]} == {"cordon", "repair", "pipelines"}
    url = f"/api/plan-runs/{run['id']}/steps/{{}}"
    # The district's transport task is not the street's to record; the district centre commands it.
    r = client.post(url.format(steps["repair"]["id"]), headers=street.headers, json={"action": "done"})
    assert r.status_code == 403
    r = client.post(url.format(steps["repair"]["id"]), headers=district.headers, json={"action": "skip"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "note"
    for key, who in (("cordon", street), ("repair", district)):
        assert (
            client.post(url.format(steps[key]["id"]), headers=who.headers, json={"action": "done"}).status_code == 200
        )
    r = client.post(
        url.format(steps["pipelines"]["id"]),
        headers=district.headers,
        json={"action": "skip", "note": "现场无燃气和供水管线"},
    )
    assert r.status_code == 200
    assert (
        client.post(url.format(steps["cordon"]["id"]), headers=street.headers, json={"action": "done"}).status_code
        == 409
    )
    r = client.post(close, headers=street.headers, json={"note": "修复完成"})
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_plans_round_trip_through_yaml_with_versions_and_clear_errors(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    admin = login(client, factory, "app_admin", [Role.app_admin], unit_code="500000")
    exported = client.get("/api/plans/export", headers=admin.headers)
    assert exported.status_code == 200 and "燃气泄漏应急预案" in exported.text
    r = client.post(
        "/api/plans/import",
        headers={**admin.headers, "Content-Type": "application/yaml"},
        content=exported.text.encode(),
    )
    assert r.json() == {"created": 0, "changed": 0, "unchanged": 5, "errors": []}

    items = yaml.safe_load(exported.text.replace("deadline: 30m", "deadline: 20m", 1))["plans"]
    items += [
        {"key": "gas_leak", "unit": STREET, "steps": [{"key": "extra", "kind": "task", "title": "无时限任务"}]},
        {"key": "typhoon", "unit": DISTRICT, "steps": [{"key": "a", "kind": "notify", "title": "x"}]},
        {"key": "gas_leak", "unit": "999999"},
    ]
    bad = yaml.safe_dump({"plans": items}, allow_unicode=True)
    r = client.post(
        "/api/plans/import", headers={**admin.headers, "Content-Type": "application/yaml"}, content=bad.encode()
    )
    body = r.json()
    assert r.status_code == 200 and body["changed"] == 1 and body["unchanged"] == 4
    reasons = {e["index"]: (e["field"], e["reason"]) for e in body["errors"]}
    assert reasons[5][0] == "spec.steps" and "deadline" in reasons[5][1]
    assert reasons[6][0] == "key" and "city template" in reasons[6][1]
    assert reasons[7][0] == "unit"
    gas = client.get("/api/plans", headers=admin.headers, params={"key": "gas_leak"}).json()["items"][0]
    detail = client.get(f"/api/plans/{gas['id']}", headers=admin.headers).json()
    assert detail["version"] == 2 and [v["version"] for v in detail["versions"]] == [2, 1]

    assert client.post("/api/plans/import", headers=admin.headers, content=b"plans: [unclosed").status_code == 422
    r = client.post(
        "/api/plans",
        headers=admin.headers,
        json={"key": "gas_leak", "spec": {"name": "x", "trigger": {"min_severity": "extreme"}, "steps": []}},
    )
    assert r.status_code == 422 and r.json()["data"]["field"].startswith("spec.trigger")
    grid = login(client, factory, "grid", [Role.grid_worker], unit_code=STREET)
    r = client.post(
        "/api/plans",
        headers=grid.headers,
        json={"key": "gas_leak", "unit_id": unit(session, STREET).id, "spec": OVERRIDE},
    )
    assert r.status_code == 403
    # The effective plan for a street merges the template with the street's override only there.
    client.post(
        "/api/plans",
        headers=admin.headers,
        json={"key": "gas_leak", "unit_id": unit(session, STREET).id, "spec": OVERRIDE},
    )
    here = client.get(
        "/api/plans/effective", headers=admin.headers, params={"key": "gas_leak", "unit_id": unit(session, STREET).id}
    ).json()
    there = client.get(
        "/api/plans/effective",
        headers=admin.headers,
        params={"key": "gas_leak", "unit_id": unit(session, OTHER_STREET).id},
    ).json()
    assert [s["key"] for s in here["plan"]["steps"]][-1] == "door_to_door"
    assert "door_to_door" not in [s["key"] for s in there["plan"]["steps"]]

    # Dropping the template's "evacuate" step would leave the street's partial evacuate step without kind and
    # title: refused, naming the override it would break.
    template = client.get("/api/plans", headers=admin.headers, params={"key": "gas_leak"}).json()["items"][0]
    spec = {**template["spec"], "steps": [s for s in template["spec"]["steps"] if s["key"] != "evacuate"]}
    r = client.post("/api/plans", headers=admin.headers, json={"key": "gas_leak", "spec": spec})
    assert r.status_code == 409 and r.json()["data"]["broken"][0]["level"] == "street"


def test_a_drill_sends_no_webhook_and_no_sms(
    client: TestClient, factory: sessionmaker[Session], session: Session, webhooks: WebhookReceiver
) -> None:
    with session_scope(factory) as s:
        for c in s.scalars(select(Centre)):
            c.duty_phone = "13800138000"
    street = login(client, factory, "jfb_duty", [Role.dispatcher], unit_code=STREET)
    drill = client.post(
        "/api/plan-runs",
        headers=street.headers,
        json={"plan_key": "highrise_fire", "unit_id": unit(session, STREET).id, "drill": True},
    )
    assert drill.status_code == 201 and drill.json()["is_drill"]
    drain(factory)
    assert webhooks.received == [] and LOGGING_SMS.sent == []
    notes = client.get("/api/notifications", headers=street.headers).json()["items"]
    assert notes and all(n["is_drill"] and n["title"].startswith("【演练】") for n in notes)

    # The same plan for real does reach the adapters: the check above can fail.
    real = client.post(
        "/api/plan-runs",
        headers=street.headers,
        json={"plan_key": "highrise_fire", "unit_id": unit(session, STREET).id},
    )
    assert real.status_code == 201
    drain(factory)
    assert webhooks.received and LOGGING_SMS.sent
    with factory() as s:
        assert s.scalar(select(PlanRun.is_drill).where(PlanRun.id == drill.json()["id"])) is True
