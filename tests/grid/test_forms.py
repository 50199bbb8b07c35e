"""一表通: a fact filled once appears in every report that selects it; a new report must reuse existing
fields (the overlap is shown, a duplicate refused); XLSX export; another street's records invisible."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import department_id, login, unit
from tests.grid.conftest import COMMUNITY, GridWorld


def make_two_reports(client: TestClient, factory: sessionmaker[Session], session: Session) -> tuple[int, int]:
    """民政 asks for 独居老人走访表; then 应急管理 asks for 防汛转移人员表 and must reuse two of its fields."""
    civil = login(
        client,
        factory,
        "f_civil",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "civil_affairs"),
    )
    first = client.post(
        "/api/form-templates",
        headers=civil.headers,
        json={
            "name": "独居老人走访表",
            "record_kind": "person",
            "new_fields": [
                {"code": "age", "name": "年龄", "value_type": "number"},
                {"code": "contact_phone", "name": "联系电话"},
                {"code": "lives_alone", "name": "是否独居"},
            ],
        },
    )
    assert first.status_code == 201, first.text
    emergency = login(
        client,
        factory,
        "f_emergency",
        [Role.handler],
        unit_code="500103",
        department_id=department_id(session, "500103", "emergency"),
    )
    overlap = client.post(
        "/api/form-templates/preview",
        headers=emergency.headers,
        json={"record_kind": "person", "names": ["年龄", "联系电话", "转移安置点"]},
    ).json()
    assert [(o["requested"], o["existing_code"], o["owner"]) for o in overlap] == [
        ("年龄", "age", "民政"),
        ("联系电话", "contact_phone", "民政"),
        ("转移安置点", None, None),
    ]
    dup = client.post(
        "/api/form-templates",
        headers=emergency.headers,
        json={
            "name": "防汛转移人员表",
            "record_kind": "person",
            "new_fields": [{"code": "phone2", "name": "联系电话"}],
        },
    )
    assert dup.status_code == 409 and dup.json()["code"] == "form.field_exists"
    assert dup.json()["data"]["overlap"][0]["existing_code"] == "contact_phone"
    second = client.post(
        "/api/form-templates",
        headers=emergency.headers,
        json={
            "name": "防汛转移人员表",
            "record_kind": "person",
            "field_codes": ["age", "contact_phone"],
            "new_fields": [{"code": "shelter", "name": "转移安置点"}],
        },
    )
    assert second.status_code == 201, second.text
    assert second.json()["reused_fields"] == 2 and [f["owner"] for f in second.json()["fields"]] == [
        "民政",
        "民政",
        "应急管理",
    ]
    return int(first.json()["id"]), int(second.json()["id"])


def test_a_fact_filled_once_appears_in_both_reports(
    client: TestClient, world: GridWorld, factory: sessionmaker[Session], session: Session
) -> None:
    a, b = make_two_reports(client, factory, session)
    rec = client.post(
        "/api/base-records",
        headers=world.duty.headers,
        json={"community_id": unit(session, COMMUNITY).id, "kind": "person", "label": "邹容路12号 王某某"},
    )
    assert rec.status_code == 201, rec.text
    rid = rec.json()["id"]
    bad = client.put(f"/api/base-records/{rid}/facts", headers=world.worker.headers, json={"values": {"age": "八十"}})
    assert bad.status_code == 422 and bad.json()["data"]["field"] == "age"
    r = client.put(
        f"/api/base-records/{rid}/facts",
        headers=world.worker.headers,
        json={"values": {"age": "82", "contact_phone": "13800002222"}},
    )
    assert r.status_code == 200 and r.json()["facts"] == {"age": "82", "contact_phone": "13800002222"}
    rows_a = client.get(f"/api/form-templates/{a}/report", headers=world.duty.headers).json()["rows"]
    rows_b = client.get(f"/api/form-templates/{b}/report", headers=world.duty.headers).json()["rows"]
    assert rows_a == [
        {
            "record_id": rid,
            "label": "邹容路12号 王某某",
            "values": {"age": "82", "contact_phone": "13800002222", "lives_alone": ""},
        }
    ]
    assert rows_b[0]["values"] == {"age": "82", "contact_phone": "13800002222", "shelter": ""}
    x = client.get(f"/api/form-templates/{b}/export.xlsx", headers=world.duty.headers)
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("村社", "人员", "年龄（民政）") and rows[1][1:4] == (
        "邹容路12号 王某某",
        "82",
        "13800002222",
    )
    other = login(client, factory, "f_other", [Role.dispatcher, Role.grid_worker], unit_code="500103001")
    assert client.get(f"/api/form-templates/{a}/report", headers=other.headers).json()["rows"] == []
    assert client.get(f"/api/base-records/{rid}", headers=other.headers).status_code == 404
    assert (
        client.put(f"/api/base-records/{rid}/facts", headers=other.headers, json={"values": {"age": "1"}}).status_code
        == 404
    )
