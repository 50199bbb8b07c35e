"""三级职责任务清单 drive routing by level; 职责准入 needs the district's approval (audited); XLSX in and out."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import audit
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from tests.factories import Login, department_id, login

DISTRICT, STREET, OTHER_DISTRICT_STREET = "500103", "500103003", "500105001"


def _event(client: TestClient, who: Login, category: str, unit_code: str) -> dict:
    r = client.post(
        "/api/events",
        headers=who.headers,
        json={"category": category, "description": "测试事项", "unit_code": unit_code, "source": "department"},
    )
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def test_duty_list_items_route_by_level(client: TestClient, factory: sessionmaker[Session]) -> None:
    leader = login(client, factory, "d_leader", [Role.leader], unit_code=DISTRICT)
    city = login(client, factory, "d_city", [Role.dispatcher], unit_code="500000")
    for body in (
        {
            "level": "网格",
            "list_kind": "基本履职",
            "name": "网格内暴露垃圾发现劝导",
            "categories": ["city_appearance.exposed_garbage"],
        },
        {
            "level": "镇街",
            "list_kind": "上级部门收回",
            "name": "占道经营执法",
            "lead_department": "城市管理",
            "legal_basis": "《城市市容和环境卫生管理条例》",
            "categories": ["city_appearance.street_vending"],
        },
    ):
        r = client.post("/api/duty-items", headers=leader.headers, json=body)
        assert r.status_code == 201, r.text
    garbage = _event(client, city, "city_appearance.exposed_garbage", f"{STREET}017G01")
    assert garbage["owner_name"].startswith("解放碑街道") and "三级职责清单·网格·基本履职" in garbage["route_reason"]
    vending = _event(client, city, "city_appearance.street_vending", STREET)
    assert vending["owner_name"] == "渝中区城市管理局" and "上级部门收回" in vending["route_reason"]
    elsewhere = _event(client, city, "city_appearance.street_vending", OTHER_DISTRICT_STREET)
    assert "三级职责清单" not in elsewhere["route_reason"]  # another district's list is its own
    # A street may read its district's list but not change it.
    street = login(client, factory, "d_street", [Role.leader], unit_code=STREET)
    assert len(client.get("/api/duty-items", headers=street.headers).json()) == 2
    r = client.post(
        "/api/duty-items", headers=street.headers, json={"level": "镇街", "list_kind": "基本履职", "name": "x"}
    )
    assert r.status_code == 403 and r.json()["code"] == "duty.district_only"


def test_duty_admission_needs_the_districts_approval(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    dept = department_id(session, DISTRICT, "ecology")
    handler = login(client, factory, "d_eco", [Role.handler], unit_code=DISTRICT, department_id=dept)
    leader = login(client, factory, "d_leader2", [Role.leader], unit_code=DISTRICT)
    street = login(client, factory, "d_street2", [Role.dispatcher, Role.leader], unit_code=STREET)
    body = {
        "level": "村社",
        "list_kind": "配合履职",
        "name": "餐饮油烟扰民线索收集",
        "categories": ["environment.cooking_fumes"],
        "reason": "需村社配合收集油烟扰民线索",
    }
    r = client.post("/api/duty-admissions", headers=handler.headers, json=body)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert r.json()["status"] == "pending"
    assert client.post(f"/api/duty-admissions/{aid}/approve", headers=street.headers, json={}).status_code == 404
    assert client.post(f"/api/duty-admissions/{aid}/approve", headers=handler.headers, json={}).status_code == 403
    assert client.post(f"/api/duty-admissions/{aid}/reject", headers=leader.headers, json={}).status_code == 422
    ok = client.post(f"/api/duty-admissions/{aid}/approve", headers=leader.headers, json={"note": "同意下放"}).json()
    assert ok["status"] == "approved" and ok["decided_by"] == "d_leader2" and ok["item_id"]
    again = client.post(f"/api/duty-admissions/{aid}/approve", headers=leader.headers, json={})
    assert again.status_code == 409 and again.json()["code"] == "duty.admission_decided"
    items = client.get("/api/duty-items", headers=leader.headers).json()
    assert [(i["name"], i["lead_department_code"], i["source"]) for i in items] == [
        ("餐饮油烟扰民线索收集", "ecology", "admission")
    ]
    city = login(client, factory, "d_city2", [Role.dispatcher], unit_code="500000")
    fumes = _event(client, city, "environment.cooking_fumes", STREET)
    assert fumes["owner_name"] == "渝中区生态环境局" and "配合履职" in fumes["route_reason"]
    with session_scope(factory) as s:
        audit.sequence(s)  # what the worker's sequencer does within seconds
    session.rollback()
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("duty.%"))))
    assert {"duty.admission_requested", "duty.admission_approved", "duty.item_added"} <= actions
    # A street's staff (no department) cannot file an admission.
    assert client.post("/api/duty-admissions", headers=street.headers, json=body).status_code == 403


def test_duty_list_xlsx_import_and_export(client: TestClient, factory: sessionmaker[Session]) -> None:
    leader = login(client, factory, "d_leader3", [Role.leader], unit_code=DISTRICT)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["层级", "清单", "事项名称", "牵头部门", "法律依据", "关联事项分类"])
    ws.append(["镇街", "配合履职", "燃气安全隐患排查", "应急管理", "《安全生产法》", "work_safety.gas_leak"])
    ws.append(["网格", "基本履职", "未知分类", "", "", "no.such_category"])
    ws.append(["小区", "基本履职", "坏层级", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = client.post(
        "/api/duty-items/import", headers=leader.headers, files={"file": ("list.xlsx", buf.getvalue(), xlsx)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "categories"), (4, "level")]
    bad = client.post(
        "/api/duty-items/import", headers=leader.headers, files={"file": ("x.xlsx", b"not a workbook", xlsx)}
    )
    assert bad.status_code == 422 and bad.json()["data"]["field"] == "file"
    out = client.get("/api/duty-items/export.xlsx", headers=leader.headers)
    rows = list(load_workbook(io.BytesIO(out.content)).active.iter_rows(values_only=True))
    assert rows[1] == ("镇街", "配合履职", "燃气安全隐患排查", "应急管理", "《安全生产法》", "work_safety.gas_leak")
