"""The closed loop through the HTTP API: every step by the right role and level, in the timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.events.conftest import Cast
from tests.factories import report, unit


def act(
    client: TestClient, headers: dict[str, str], event_id: object, action: str, **body: object
) -> dict[str, object]:
    r = client.post(f"/api/events/{event_id}/actions/{action}", headers=headers, json=body)
    assert r.status_code == 200, (action, r.text)
    return dict(r.json())


def test_event_travels_the_whole_loop(client: TestClient, cast: Cast, session: Session) -> None:
    ev = report(client, cast.citizen.headers, source="citizen")
    assert ev["status"] == "reported" and ev["owner_name"] == "渝中区城市管理局"
    assert ev["reporter_phone"] == "138****5678"
    assert ev["unit_id"] == unit(session, "500103003").id  # located in 解放碑街道
    eid = ev["id"]
    act(client, cast.district.headers, eid, "accept")
    act(client, cast.district.headers, eid, "dispatch")
    act(client, cast.handler.headers, eid, "sign")
    act(client, cast.handler.headers, eid, "start")
    act(client, cast.handler.headers, eid, "report", note="已更换灯泡")
    act(client, cast.district.headers, eid, "verify", note="现场核查已亮")
    closed = act(client, cast.district.headers, eid, "close")
    assert closed["status"] == "closed"
    rated = act(client, cast.citizen.headers, eid, "rate", rating="satisfied")
    assert rated["rating"] == "satisfied"

    detail = client.get(f"/api/events/{eid}", headers=cast.district.headers).json()
    steps = [(e["action"], e["actor_name"]) for e in detail["timeline"]]
    assert steps == [
        ("receive", "citizen1"),
        ("route", "system"),
        ("accept", "yz_duty"),
        ("dispatch", "yz_duty"),
        ("sign", "yz_cg"),
        ("start", "yz_cg"),
        ("report", "yz_cg"),
        ("verify", "yz_duty"),
        ("close", "yz_duty"),
        ("rate", "citizen1"),
    ]
    route = detail["timeline"][1]
    assert "渝中区城市管理局" in route["note"] and "职责清单" in route["note"]  # why it was routed there

    m = client.get("/api/metrics", headers=cast.district.headers).json()["figures"]
    assert m["received"] == 1 and m["closed"] == 1 and m["on_time_rate"] == 1.0 and m["satisfaction_rate"] == 1.0
    assert m["open"] == 0


def test_wrong_role_or_level_cannot_act(client: TestClient, cast: Cast) -> None:
    ev = report(client, cast.citizen.headers)
    eid = ev["id"]
    r = client.post(f"/api/events/{eid}/actions/accept", headers=cast.handler.headers, json={})
    assert r.status_code == 403 and "accept" not in r.json()["data"]["allowed"]
    act(client, cast.district.headers, eid, "accept")
    r = client.post(f"/api/events/{eid}/actions/sign", headers=cast.handler.headers, json={})
    assert r.status_code == 409  # not dispatched yet
    assert r.json()["data"]["allowed"] and "dispatch" in r.json()["data"]["allowed"]
    r = client.post(f"/api/events/{eid}/actions/teleport", headers=cast.district.headers, json={})
    assert r.status_code == 404


def test_other_street_cannot_see_event(client: TestClient, cast: Cast) -> None:
    ev = report(
        client,
        cast.citizen.headers,
        category="city_appearance.street_vending",
        description="解放碑步行街有流动摊贩占道",
    )
    assert client.get(f"/api/events/{ev['id']}", headers=cast.street.headers).status_code == 200
    r = client.get(f"/api/events/{ev['id']}", headers=cast.other_street.headers)
    assert r.status_code == 404 and r.json()["error"] == "EventNotFound"
    listing = client.get("/api/events", headers=cast.other_street.headers)
    assert listing.status_code == 200, listing.text
    assert listing.json()["total"] == 0
    assert client.post(f"/api/events/{ev['id']}/actions/accept", headers=cast.other_street.headers).status_code == 404
    export = client.get("/api/events/export.csv", headers=cast.other_street.headers)
    assert export.status_code == 200 and export.text.count("\n") == 1  # header only


def test_return_needs_reason_and_third_return_escalates(client: TestClient, cast: Cast) -> None:
    ev = report(client, cast.citizen.headers)
    eid, dept = ev["id"], ev["owner_department_id"]
    act(client, cast.district.headers, eid, "accept")
    for n in range(1, 4):
        act(client, cast.district.headers, eid, "dispatch", department_id=dept)
        r = client.post(f"/api/events/{eid}/actions/return", headers=cast.handler.headers, json={})
        assert r.status_code == 422 and r.json()["data"]["field"] == "note"
        out = act(client, cast.handler.headers, eid, "return", note=f"不属于本部门职责（第{n}次）")
        assert out["return_count"] == n
    detail = client.get(f"/api/events/{eid}", headers=cast.city.headers).json()
    assert detail["status"] == "accepted" and detail["escalation_level"] == 1
    assert detail["dispatcher_unit_id"] == detail["owner_unit_id"]  # now with the city centre
    assert detail["timeline"][-1]["data"]["escalated_to"] == "重庆市"
    assert "accept" not in detail["allowed_actions"] and "dispatch" in detail["allowed_actions"]
    # the district centre no longer dispatches it; the city does
    r = client.post(f"/api/events/{eid}/actions/dispatch", headers=cast.district.headers, json={})
    assert r.status_code == 403
    act(client, cast.city.headers, eid, "dispatch")


def test_stale_version_is_refused(client: TestClient, cast: Cast) -> None:
    ev = report(client, cast.citizen.headers)
    v = ev["version"]
    act(client, cast.district.headers, ev["id"], "accept", version=v)
    r = client.post(f"/api/events/{ev['id']}/actions/dispatch", headers=cast.district.headers, json={"version": v})
    assert r.status_code == 409 and r.json()["error"] == "StaleVersion"
    assert r.json()["code"] == "event.stale_version"
    assert r.json()["data"]["current_version"] == v + 1


def test_repeated_idempotency_key_returns_original(client: TestClient, cast: Cast) -> None:
    first = client.post(
        "/api/events",
        headers={**cast.citizen.headers, "Idempotency-Key": "app-123"},
        json={"category": "municipal.streetlight_fault", "description": "路灯不亮", "address": "渝中区解放碑街道"},
    )
    again = client.post(
        "/api/events",
        headers={**cast.citizen.headers, "Idempotency-Key": "app-123"},
        json={"category": "municipal.streetlight_fault", "description": "路灯不亮", "address": "渝中区解放碑街道"},
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert client.get("/api/events", headers=cast.district.headers).json()["total"] == 1


def test_bad_reports_name_the_field(client: TestClient, cast: Cast) -> None:
    h = cast.citizen.headers
    cases = [
        ({"category": "nope", "description": "x", "address": "渝中区"}, "category"),
        ({"category": "municipal.streetlight_fault", "description": "  ", "address": "渝中区"}, "description"),
        ({"category": "municipal.streetlight_fault", "description": "x"}, "address"),
        (
            {
                "category": "municipal.streetlight_fault",
                "description": "x",
                "address": "渝中区",
                "reporter_phone": "12345",
            },
            "reporter_phone",
        ),
        (
            {"category": "municipal.manhole_missing", "description": "井盖没了", "address": "渝中区"},
            "attributes.manhole_type",
        ),
        ({"category": "municipal.streetlight_fault", "description": "x", "lon": 500, "lat": 29}, "lon"),
        (
            {"category": "municipal.streetlight_fault", "description": "x", "address": "渝中区", "source": "sensor"},
            "source",
        ),
    ]
    for body, field in cases:
        r = client.post("/api/events", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["data"]["field"] == field, (body, r.json())


def test_unlocatable_report_lands_with_city_for_triage(client: TestClient, cast: Cast, session: Session) -> None:
    ev = report(client, cast.citizen.headers, address="我家楼下")
    assert ev["unit_id"] == unit(session, "500000").id and "人工分拨" in ev["locate_reason"]
    r = client.post(
        "/api/events?triage=false",
        headers=cast.citizen.headers,
        json={"category": "municipal.streetlight_fault", "description": "灯坏", "address": "我家楼下"},
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "text"


def test_street_matter_goes_to_street_and_spanning_matter_to_common_centre(
    client: TestClient, cast: Cast, session: Session
) -> None:
    ev = report(client, cast.citizen.headers, category="city_appearance.street_vending", description="流动摊贩占道")
    assert ev["owner_unit_id"] == unit(session, "500103003").id and ev["owner_department_id"] is None
    spanning = report(
        client,
        cast.street.headers,
        source="department",
        category="city_appearance.exposed_garbage",
        description="两街道交界处垃圾堆放",
        related_unit_codes=["500103001"],
    )
    assert spanning["unit_id"] == unit(session, "500103").id  # lowest common unit: 渝中区
    assert spanning["owner_unit_id"] == unit(session, "500103").id


def test_unit_specific_duty_overrides_default(client: TestClient, cast: Cast, session: Session) -> None:
    r = client.put(
        "/api/duties",
        headers=cast.admin.headers,
        json={
            "category": "city_appearance.street_vending",
            "unit_code": "500103",
            "level": "district",
            "assignee": "department",
            "department_code": "urban_management",
            "note": "渝中区专项",
        },
    )
    assert r.status_code == 200, r.text
    ev = report(client, cast.citizen.headers, category="city_appearance.street_vending", description="占道经营")
    assert ev["owner_name"] == "渝中区城市管理局" and "本地专项" in ev["route_reason"]
    elsewhere = report(
        client,
        cast.citizen.headers,
        category="city_appearance.street_vending",
        description="占道经营",
        address="沙坪坝区小龙坎街道",
    )
    assert elsewhere["owner_department_id"] is None  # the default (street centre) still applies there
    csv_text = client.get("/api/duties/export.csv", headers=cast.admin.headers).text
    assert "city_appearance.street_vending,500103,district,department,urban_management" in csv_text


def test_extension_suspend_and_merge(client: TestClient, cast: Cast) -> None:
    a = report(client, cast.citizen.headers, lon=106.5770, lat=29.5570, description="解放碑临江支路路灯不亮")
    b = report(
        client,
        cast.citizen.headers,
        lon=106.5772,
        lat=29.5571,
        description="临江支路的路灯不亮了",
        reporter_phone="13900001111",
    )
    act(client, cast.district.headers, a["id"], "accept")
    act(client, cast.district.headers, a["id"], "dispatch")
    act(client, cast.handler.headers, a["id"], "sign")
    before = client.get(f"/api/events/{a['id']}", headers=cast.district.headers).json()["due_at"]
    act(client, cast.handler.headers, a["id"], "request_extension", duration="2wd", note="需采购灯具")
    r = client.post(
        f"/api/events/{a['id']}/actions/request_extension",
        headers=cast.handler.headers,
        json={"duration": "1wd", "note": "again"},
    )
    assert r.status_code == 409
    approved = act(client, cast.district.headers, a["id"], "approve_extension")
    assert approved["due_at"] > before and approved["extension_requested"] is None

    dups = client.get(f"/api/events/{a['id']}/duplicates", headers=cast.district.headers).json()
    assert [d["event"]["id"] for d in dups] == [b["id"]] and dups[0]["distance_m"] < 200
    act(client, cast.district.headers, b["id"], "merge", master_id=a["id"])
    act(client, cast.handler.headers, a["id"], "start")
    act(client, cast.district.headers, a["id"], "suspend", note="等待电力部门配合")
    act(client, cast.district.headers, a["id"], "resume")
    act(client, cast.handler.headers, a["id"], "report", note="修好了")
    act(client, cast.district.headers, a["id"], "verify")
    act(client, cast.district.headers, a["id"], "close")
    dup = client.get(f"/api/events/{b['id']}", headers=cast.district.headers).json()
    assert dup["status"] == "merged" and dup["timeline"][-1]["action"] == "master_closed"


def test_unsatisfied_rating_and_reopen(client: TestClient, cast: Cast) -> None:
    ev = report(client, cast.citizen.headers, source="citizen")
    eid = ev["id"]
    for who, action in [
        (cast.district, "accept"),
        (cast.district, "dispatch"),
        (cast.handler, "sign"),
        (cast.handler, "start"),
        (cast.handler, "report"),
        (cast.district, "verify"),
        (cast.district, "close"),
    ]:
        act(client, who.headers, eid, action)
    act(client, cast.citizen.headers, eid, "rate", rating="unsatisfied")
    review = client.get("/api/events", headers=cast.district.headers, params={"needs_review": True}).json()
    assert [e["id"] for e in review["items"]] == [eid]
    reopened = act(client, cast.citizen.headers, eid, "reopen", note="灯又不亮了")
    assert reopened["status"] == "accepted" and reopened["reopen_count"] == 1
    m = client.get("/api/metrics", headers=cast.district.headers).json()["figures"]
    assert m["open"] == 1 and m["satisfaction_rate"] == 0.0


def test_supervise_only_from_above(client: TestClient, cast: Cast) -> None:
    ev = report(client, cast.citizen.headers)
    r = client.post(f"/api/events/{ev['id']}/actions/supervise", headers=cast.leader.headers, json={"note": "请加快"})
    assert r.status_code == 403  # the district's own leader urges; supervision comes from above
    act(client, cast.leader.headers, ev["id"], "urge")
    out = act(client, cast.city_leader.headers, ev["id"], "supervise", note="市中心督办")
    assert out["supervised_by_unit_id"] is not None


def test_a_create_answers_what_a_read_of_the_event_gives(client: TestClient, cast: Cast) -> None:
    """A single report's answer is built from the row just written (it is not read back): every field it
    carries must be what a later read of the event returns, including the columns filled by defaults."""
    created = report(client, cast.citizen.headers, source="citizen", attributes={"楼层": "3"})
    detail = client.get(f"/api/events/{created['id']}", headers=cast.citizen.headers).json()
    assert created.pop("created") is True
    shared = set(created) - {"allowed_actions"}  # the detail adds the timeline and the caller's actions
    assert len(shared) > 30
    assert {k: created[k] for k in shared} == {k: detail[k] for k in shared}
    body = {"category": "municipal.streetlight_fault", "description": "重复提交", "address": "渝中区解放碑街道"}
    headers = {**cast.citizen.headers, "Idempotency-Key": "same-report"}
    first, repeat = (client.post("/api/events", headers=headers, json=body) for _ in range(2))
    assert first.status_code == 201 and repeat.status_code == 200  # the repeat is read back
    assert repeat.json()["id"] == first.json()["id"] and repeat.json()["created"] is False
