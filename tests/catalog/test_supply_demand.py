"""A street requests a city department's data; the answer, the grant, reads, revocation, deadlines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog import requests
from cityops.core import audit, clock
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from cityops.org.models import OrgUnit
from tests.catalog.conftest import CITY, STREET_A, World, request_body
from tests.factories import report

ASKED = ["day", "unit_name", "category_name", "received", "went_overdue"]
GRANTED = ["day", "category_name", "received"]


def _submit(client: TestClient, world: World, fields: list[str]) -> dict[str, object]:
    r = client.post("/api/catalog/requests", headers=world.street.headers, json=request_body(world.entry_id, fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_approved_fields_are_exactly_what_the_street_reads_and_each_read_is_audited(
    client: TestClient, factory: sessionmaker[Session], world: World
) -> None:
    report(client, world.duty.headers, unit_code=STREET_A)  # 路灯 (市政设施: 城市管理局's duty)
    found = client.get("/api/catalog/entries", headers=world.street.headers, params={"q": "城市管理 事件"}).json()
    assert world.entry_id in [e["id"] for e in found["items"]]
    req = _submit(client, world, ASKED)
    assert req["state"] == "submitted" and req["grant"] is None
    inbox = client.get("/api/catalog/requests", headers=world.provider.headers, params={"box": "inbox"}).json()
    assert [r["id"] for r in inbox["items"]] == [req["id"]]

    r = client.post(
        f"/api/catalog/requests/{req['id']}/answer",
        headers=world.provider.headers,
        json={"decision": "approve", "fields": GRANTED},
    )
    assert r.status_code == 200, r.text
    grant = r.json()["grant"]
    assert grant["fields"] == GRANTED

    data = client.get(f"/api/catalog/grants/{grant['id']}/data", headers=world.street.headers)
    assert data.status_code == 200, data.text
    body = data.json()
    assert body["items"], "the street's own event shows in its rows"
    assert all(list(row) == GRANTED for row in body["items"])
    assert sum(row["received"] for row in body["items"]) == 1  # the one event of street A, nothing else
    same = client.get(f"/api/catalog/entries/{world.entry_id}/data", headers=world.street.headers)
    assert same.json()["items"] == body["items"]

    with session_scope(factory) as s:
        audit.sequence(s)  # what the worker's sequencer does within seconds
        reads = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.data_read")))
    assert len(reads) == 2
    assert all(e.actor_id == world.street.user_id for e in reads)
    assert json.loads(reads[0].data)["fields"] == GRANTED

    # the other street sees neither the request nor the data
    assert client.get(f"/api/catalog/requests/{req['id']}", headers=world.other_street.headers).status_code == 404
    assert client.get(f"/api/catalog/grants/{grant['id']}/data", headers=world.other_street.headers).status_code == 404


def test_a_grant_never_widens_beyond_the_request(client: TestClient, world: World) -> None:
    req = _submit(client, world, ["day", "received"])
    r = client.post(
        f"/api/catalog/requests/{req['id']}/answer",
        headers=world.provider.headers,
        json={"decision": "approve", "fields": ["day", "received", "unit_name"]},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "catalog.grant_wider_than_request"
    assert r.json()["data"]["fields"] == ["unit_name"]


def test_refused_leaves_nothing_readable(client: TestClient, world: World) -> None:
    req = _submit(client, world, GRANTED)
    no_reason = client.post(
        f"/api/catalog/requests/{req['id']}/answer", headers=world.provider.headers, json={"decision": "refuse"}
    )
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "catalog.reason_required"
    r = client.post(
        f"/api/catalog/requests/{req['id']}/answer",
        headers=world.provider.headers,
        json={"decision": "refuse", "reason": "申请用途与本单位职责不符"},
    )
    assert r.status_code == 200 and r.json()["state"] == "refused" and r.json()["grant"] is None
    data = client.get(f"/api/catalog/entries/{world.entry_id}/data", headers=world.street.headers)
    assert data.status_code == 403 and data.json()["code"] == "catalog.no_grant"


def test_revoked_grant_answers_403(client: TestClient, world: World) -> None:
    req = _submit(client, world, GRANTED)
    grant = client.post(
        f"/api/catalog/requests/{req['id']}/answer",
        headers=world.provider.headers,
        json={"decision": "approve_with_conditions", "conditions": "仅限街道内部研判使用，不得对外提供"},
    ).json()["grant"]
    assert client.get(f"/api/catalog/grants/{grant['id']}/data", headers=world.street.headers).status_code == 200
    street_revokes = client.post(
        f"/api/catalog/grants/{grant['id']}/revoke", headers=world.street.headers, json={"reason": "不需要了"}
    )
    assert street_revokes.status_code == 403
    r = client.post(
        f"/api/catalog/grants/{grant['id']}/revoke", headers=world.provider.headers, json={"reason": "超出约定用途"}
    )
    assert r.status_code == 200 and r.json()["revoked_at"]
    after = client.get(f"/api/catalog/grants/{grant['id']}/data", headers=world.street.headers)
    assert after.status_code == 403 and after.json()["code"] == "catalog.grant_revoked"


def test_overdue_request_escalates_exactly_once(
    client: TestClient, factory: sessionmaker[Session], world: World, frozen: clock.FrozenClock
) -> None:
    req = _submit(client, world, GRANTED)  # Monday 2026-03-02 10:00 CST: due 5 working days later
    assert str(req["due_at"]).startswith("2026-03-09T02:00")
    frozen.at = datetime(2026, 3, 9, 1, 59, tzinfo=UTC)
    with session_scope(factory) as s:
        assert requests.sweep_overdue(s, clock.now()) == []
    frozen.advance(minutes=2)
    with session_scope(factory) as s:
        assert requests.sweep_overdue(s, clock.now()) == [req["id"]]
    with session_scope(factory) as s:
        assert requests.sweep_overdue(s, clock.now()) == []
        audit.sequence(s)
        city_id = s.scalar(select(OrgUnit.id).where(OrgUnit.code == CITY))
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.request_overdue")))
    assert len(entries) == 1
    shown = client.get(f"/api/catalog/requests/{req['id']}", headers=world.street.headers).json()
    assert shown["overdue"] is True and shown["escalated_to_unit_id"] == city_id
    todo = requests.todo_items
    with session_scope(factory) as s:
        from cityops.core.auth import User, actor_for

        user = s.get(User, world.provider.user_id)
        assert user is not None
        items = todo(s, actor_for(s, user), clock.now())
    assert [i.ref for i in items] == [shown["ref"]] and items[0].urgent


def test_unshared_items_are_hidden_and_cannot_be_requested(client: TestClient, world: World) -> None:
    body = {
        "code": "CQ-CG-0099",
        "title": "户外广告设施设置审批信息",
        "classification": "部门/城市管理",
        "summary": "户外广告设施审批结果及申请人信息。",
        "format_class": "电子表格",
        "format": "xlsx",
        "update_cycle": "每月",
        "share_type": "conditional",
        "share_condition": "用于城市管理执法",
        "items": [
            {"name": "permit_no", "label": "审批文号", "type": "字符"},
            {
                "name": "applicant_id",
                "label": "申请人身份证号",
                "type": "字符",
                "share_type": "none",
                "share_condition": "《个人信息保护法》第二十八条 敏感个人信息",
            },
        ],
    }
    created = client.post("/api/catalog/entries", headers=world.provider.headers, json=body)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    assert len(created.json()["items"]) == 2  # the provider sees everything
    assert client.get(f"/api/catalog/entries/{entry_id}", headers=world.street.headers).status_code == 404  # draft
    pub = client.post(f"/api/catalog/entries/{entry_id}/actions/publish", headers=world.provider.headers)
    assert pub.status_code == 200 and pub.json()["state"] == "published" and pub.json()["version"] == 2
    seen = client.get(f"/api/catalog/entries/{entry_id}", headers=world.street.headers).json()
    assert [i["name"] for i in seen["items"]] == ["permit_no"]
    assert "身份证" not in json.dumps(
        client.get("/api/catalog/entries", headers=world.street.headers, params={"q": "户外广告"}).json(),
        ensure_ascii=False,
    )
    r = client.post(
        "/api/catalog/requests", headers=world.street.headers, json=request_body(entry_id, ["applicant_id"])
    )
    assert r.status_code == 422 and r.json()["code"] == "catalog.field_not_shareable"


def test_a_described_need_is_answered_with_one_of_the_providers_entries(client: TestClient, world: World) -> None:
    need = {
        "need": "需要辖区内城市管理类事件按日统计，用于网格员巡查排班",
        "provider_department_id": world.dept_id,
        "purpose": "网格员巡查排班",
        "fields": ["day", "received"],
        "use_from": "2026-01-01",
        "use_until": "2026-06-30",
    }
    r = client.post("/api/catalog/requests", headers=world.street.headers, json=need)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    no_entry = client.post(
        f"/api/catalog/requests/{rid}/answer", headers=world.provider.headers, json={"decision": "approve"}
    )
    assert no_entry.status_code == 422 and no_entry.json()["code"] == "catalog.grant_needs_entry"
    longer = client.post(
        f"/api/catalog/requests/{rid}/answer",
        headers=world.provider.headers,
        json={"decision": "approve", "entry_id": world.entry_id, "valid_until": "2026-12-31"},
    )
    assert longer.status_code == 422 and longer.json()["code"] == "catalog.grant_period_wider"
    ok = client.post(
        f"/api/catalog/requests/{rid}/answer",
        headers=world.provider.headers,
        json={"decision": "approve", "entry_id": world.entry_id},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["entry_id"] == world.entry_id and ok.json()["grant"]["fields"] == ["day", "received"]
    again = client.post(
        f"/api/catalog/requests/{rid}/answer",
        headers=world.provider.headers,
        json={"decision": "refuse", "reason": "x"},
    )
    assert again.status_code == 409 and again.json()["code"] == "catalog.request_answered"


def test_the_provider_is_told_of_a_request_and_the_street_of_its_answer(
    client: TestClient, factory: sessionmaker[Session], world: World
) -> None:
    from cityops.core.worker import Worker

    req = _submit(client, world, GRANTED)
    Worker(factory, owner="test").deliver_outbox()
    told = client.get("/api/notifications", headers=world.provider.headers).json()["items"]
    asked = [n for n in told if n["kind"] == "data_request"]
    assert len(asked) == 1 and asked[0]["title"] == f"数据申请待答复：{req['ref']}"
    assert not [n for n in client.get("/api/notifications", headers=world.street.headers).json()["items"]]
    client.post(
        f"/api/catalog/requests/{req['id']}/answer",
        headers=world.provider.headers,
        json={"decision": "approve", "fields": GRANTED},
    )
    Worker(factory, owner="test").deliver_outbox()
    answered = client.get("/api/notifications", headers=world.street.headers).json()["items"]
    assert [n["title"] for n in answered] == [f"数据申请已答复：{req['ref']}（同意）"]
    assert not [n for n in client.get("/api/notifications", headers=world.other_street.headers).json()["items"]]
