"""Auto-dispatch: off by default (the suggestion is only recorded); on for a category whose threshold an
admin set, when the live model's confidence reaches it — accepted, 改类 when the report chose another
category, dispatched, each step in the timeline with the model version and score; measured afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai.models import AiDecision
from cityops.core import audit
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from tests.ai.conftest import STREET, answer_received
from tests.factories import login, report
from tests.plans.conftest import drain

GARBAGE = "我们小区门口的垃圾堆了三天没人收，臭得很，苍蝇到处飞"


def test_auto_dispatch_is_off_by_default_and_on_above_the_threshold(
    history: dict[str, object], client: TestClient, factory: sessionmaker[Session]
) -> None:
    duty = login(client, factory, "ai_auto_duty", [Role.dispatcher], unit_code=STREET)
    admin = login(client, factory, "ai_auto_admin", [Role.sysadmin], unit_code="500000")
    address = "渝中区解放碑街道邹容路100号"
    first = report(
        client, duty.headers, category="city_appearance.exposed_garbage", description=GARBAGE, address=address
    )
    answer_received(factory)
    ev = client.get(f"/api/events/{first['id']}", headers=duty.headers).json()
    assert ev["status"] == "reported"  # no threshold set: the AI only suggests
    with session_scope(factory) as s:
        decision = s.get(AiDecision, first["id"])
        assert decision is not None and not decision.auto_dispatched and decision.score > 0.8
    r = client.put("/api/ai/thresholds/city_appearance.exposed_garbage", json={"threshold": 0.8}, headers=duty.headers)
    assert r.status_code == 403
    r = client.put("/api/ai/thresholds/city_appearance.exposed_garbage", json={"threshold": 0.8}, headers=admin.headers)
    assert r.status_code == 200 and r.json()[0]["threshold"] == 0.8
    client.put("/api/ai/thresholds/municipal.streetlight_fault", json={"threshold": 0.95}, headers=admin.headers)
    # The citizen picked the wrong category; the model is sure it is garbage.
    wrong = report(client, duty.headers, category="municipal.streetlight_fault", description=GARBAGE, address=address)
    unsure = report(client, duty.headers, description="路灯不亮了", address=address)
    answer_received(factory)
    ev = client.get(f"/api/events/{wrong['id']}", headers=duty.headers).json()
    assert ev["status"] == "dispatched" and ev["category"] == "city_appearance.exposed_garbage", ev
    steps = [t for t in ev["timeline"] if t["actor_name"] == "system:ai"]
    assert [t["action"] for t in steps] == ["accept", "recategorize", "dispatch"]
    assert all(t["data"]["model_version"] == history["version"] and t["data"]["score"] >= 0.8 for t in steps)
    assert "置信度" in steps[-1]["note"] and history["version"] in steps[-1]["note"]
    assert client.get(f"/api/events/{unsure['id']}", headers=duty.headers).json()["status"] == "reported"
    with session_scope(factory) as s:
        audit.sequence(s)
    with session_scope(factory) as s:
        acts = s.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "system:ai")).all()
        assert {"event.accept", "event.recategorize", "event.dispatch"} <= set(acts)
    figures = client.get("/api/ai/auto-dispatch", headers=duty.headers).json()
    assert figures == {"auto_dispatched": 1, "returned_or_reassigned": 0, "rate": 0.0}
    r = client.post(f"/api/events/{wrong['id']}/actions/return", json={"note": "不属于本中心"}, headers=duty.headers)
    assert r.status_code == 200, r.text
    figures = client.get("/api/ai/auto-dispatch", headers=duty.headers).json()
    assert figures == {"auto_dispatched": 1, "returned_or_reassigned": 1, "rate": 1.0}
    drain(factory)  # the worker delivers them again: a redelivered message changes nothing
    with session_scope(factory) as s:
        assert len(s.scalars(select(AiDecision)).all()) == 3
