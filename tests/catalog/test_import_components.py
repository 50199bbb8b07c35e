"""Excel import of a 目录 sheet with per-row errors; corrections and versions; the component shelf."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.catalog.conftest import CITY, World
from tests.factories import login

HEADER = ["信息资源代码", "信息资源名称", "信息资源分类", "信息资源摘要", "信息资源格式", "格式类型", "更新周期",
          "共享属性", "共享条件", "开放属性", "开放条件", "关联资源代码", "信息项"]  # fmt: skip
GOOD = ["CQ-CG-0201", "数字化城管案件信息", "部门/城市管理", "数字化城市管理系统立案、派遣、结案信息。", "数据库",
        "API(JSON)", "每日", "有条件共享", "用于城市治理", "不予开放", "", "CQ-CG-0101",
        "case_no|案件编号|字符\ncase_type|案件类型|字符\nclosed_at|结案时间|日期时间"]  # fmt: skip


def _xlsx(rows: list[list[str]], sheet: str = "目录") -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in [HEADER, *rows]:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_imported_sheet_reports_bad_rows_by_row(client: TestClient, world: World) -> None:
    bad_share = [*GOOD[:7], "随便共享", *GOOD[8:]]
    bad_share[0] = "CQ-CG-0202"
    no_condition = [*GOOD[:8], "", *GOOD[9:]]
    no_condition[0] = "CQ-CG-0203"
    bad_items = [*GOOD[:12], "只有名称"]
    bad_items[0] = "CQ-CG-0204"
    duplicate = list(GOOD)
    content = _xlsx([GOOD, bad_share, no_condition, bad_items, duplicate])
    r = client.post(
        "/api/catalog/import",
        headers=world.provider.headers,
        files={"file": ("目录.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 1
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (3, "共享属性"),
        (4, "行 / row"),
        (5, "信息项"),
        (6, "信息资源代码"),
    ]
    mine = client.get("/api/catalog/entries", headers=world.provider.headers, params={"q": "数字化城管"}).json()
    assert [(e["code"], e["state"], e["provider_name"]) for e in mine["items"]] == [
        ("CQ-CG-0201", "draft", "重庆市城市管理局")
    ]
    not_xlsx = client.post(
        "/api/catalog/import", headers=world.provider.headers, files={"file": ("a.xlsx", b"x", "text/plain")}
    )
    assert not_xlsx.status_code == 422 and not_xlsx.json()["code"] == "catalog.not_xlsx"
    street = client.post("/api/catalog/import", headers=world.street.headers, files={"file": ("a.xlsx", content, "x")})
    assert street.status_code == 403


def test_corrections_and_versions(client: TestClient, world: World) -> None:
    r = client.post(
        f"/api/catalog/entries/{world.entry_id}/corrections",
        headers=world.street.headers,
        json={"field": "summary", "text": "摘要未说明统计口径是否含已作废事件"},
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert (
        client.get(f"/api/catalog/entries/{world.entry_id}/corrections", headers=world.other_street.headers).json()
        == []
    )
    resolved = client.post(
        f"/api/catalog/entries/{world.entry_id}/corrections/{cid}/resolve",
        headers=world.provider.headers,
        json={"accept": True, "reply": "已在摘要中补充：不含已作废事件"},
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "accepted"
    entry = client.get(f"/api/catalog/entries/{world.entry_id}", headers=world.provider.headers).json()
    keep: tuple[str, ...] = ("code", "title", "classification", "format_class", "format", "update_cycle", "share_type")
    keep += ("share_condition", "open_type", "open_condition", "related_codes")
    body = {k: entry[k] for k in keep}
    body["summary"] = entry["summary"] + "（不含已作废事件）"
    body["items"] = entry["items"]
    r = client.put(f"/api/catalog/entries/{world.entry_id}", headers=world.provider.headers, json=body)
    assert r.status_code == 200, r.text
    versions = client.get(f"/api/catalog/entries/{world.entry_id}/versions", headers=world.street.headers).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[-1]["snapshot"]["summary"].endswith("（不含已作废事件）")
    assert "summary" in versions[-1]["note"]
    body["code"] = "CHANGED"
    assert (
        client.put(f"/api/catalog/entries/{world.entry_id}", headers=world.provider.headers, json=body).status_code
        == 422
    )
    assert (
        client.put(f"/api/catalog/entries/{world.entry_id}", headers=world.street.headers, json=body).status_code == 403
    )


def test_component_is_listed_after_review(client: TestClient, factory: sessionmaker[Session], world: World) -> None:
    reviewer = login(client, factory, "city_app", [Role.app_admin], unit_code=CITY)
    body = {
        "code": "cg-case-classifier",
        "name": "城管案件智能分类",
        "kind": "ai_model",
        "version": "1.0.0",
        "endpoint": "/api/components/cg-case-classifier",
        "used_by": ["数字城管"],
    }
    r = client.post("/api/catalog/components", headers=world.provider.headers, json=body)
    assert r.status_code == 201 and r.json()["status"] == "pending"
    cid = r.json()["id"]
    assert client.get(f"/api/catalog/components/{cid}", headers=world.street.headers).status_code == 404
    own = client.post(
        f"/api/catalog/components/{cid}/review", headers=world.provider.headers, json={"decision": "list"}
    )
    assert own.status_code == 403
    listed = client.post(f"/api/catalog/components/{cid}/review", headers=reviewer.headers, json={"decision": "list"})
    assert listed.status_code == 200 and listed.json()["status"] == "listed"
    shelf = client.get("/api/catalog/components", headers=world.street.headers).json()
    assert [c["code"] for c in shelf["items"]] == ["cg-case-classifier"]
    no_reason = client.post(
        f"/api/catalog/components/{cid}/review", headers=reviewer.headers, json={"decision": "delist"}
    )
    assert no_reason.status_code == 422
