"""XLSX and CSV import with per-row errors, export that reads back, and the district's 风险清单 report."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from tests.factories import Login, unit
from tests.risks.conftest import DISTRICT, STREET, new_point

HEADER = [
    "风险点名称",
    "风险类别",
    "所在单位代码",
    "地址",
    "经度",
    "纬度",
    "可能性",
    "后果严重性",
    "责任人",
    "巡查周期（天）",
]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_imported_sheet_reports_bad_rows_by_row(street_duty: Login, client: TestClient) -> None:
    data = _xlsx(
        [
            ["解放碑地下商场", "商场、车站及景区", STREET, "民权路", 106.577, 29.557, 3, 4, "王经理", 30],  # row 2: ok
            ["某楼", "不存在的类别", STREET, "邹容路", None, None, 2, 2, "", None],  # row 3: category
            ["某桥", "bridge_tunnel.bridge", STREET, "", None, None, 2, 3, "", None],  # row 4: no place
            ["某站", "gas.station", STREET, "临江门", None, None, 7, 2, "", None],  # row 5: likelihood
            ["某隧道", "bridge_tunnel.tunnel", "500103001", "较场口", None, None, 2, 2, "", None],  # row 6: not ours
            ["新华路燃气站", "燃气场站", STREET, "新华路", None, None, "4", "5", "赵站长", None],  # row 7: ok
            ["某场所", "人员密集场所", STREET, "新华路", None, None, 1, 1, "", None],  # row 8: a family
        ]
    )
    r = client.post(
        "/api/risks/points/import",
        headers=street_duty.headers,
        files={"file": ("清单.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["created"] == 2
    assert [(e["row"], e["field"]) for e in out["errors"]] == [
        (3, "category"),
        (4, "lon"),
        (5, "likelihood"),
        (6, "unit_code"),
        (8, "category"),
    ]
    items = client.get("/api/risks/points", headers=street_duty.headers).json()["items"]
    assert {p["name"]: p["level"] for p in items} == {"新华路燃气站": "major", "解放碑地下商场": "significant"}
    csv_body = (
        "风险点名称,风险类别,所在单位代码,地址,可能性,后果严重性\n"
        f"桥A,bridge_tunnel.bridge,{STREET},沧白路,2,2\n"
        f",gas.station,{STREET},x,1,1\n"
    )
    c = client.post(
        "/api/risks/points/import",
        headers=street_duty.headers,
        files={"file": ("a.csv", csv_body.encode(), "text/csv")},
    )
    assert c.json()["created"] == 1 and c.json()["errors"][0]["row"] == 3 and c.json()["errors"][0]["field"] == "name"
    junk = client.post(
        "/api/risks/points/import",
        headers=street_duty.headers,
        files={"file": ("a.xlsx", b"not a zip", "application/octet-stream")},
    )
    assert junk.status_code == 422 and junk.json()["data"]["field"] == "file"
    odd = client.post(
        "/api/risks/points/import",
        headers=street_duty.headers,
        files={"file": ("a.csv", "名称X\n1\n".encode(), "text/csv")},
    )
    assert odd.status_code == 422 and "名称X" in odd.json()["detail"]


def test_export_reads_back_and_the_district_report(
    street_duty: Login, district_duty: Login, client: TestClient, session: Session
) -> None:
    new_point(client, street_duty, session, likelihood=5, consequence=5, name="红色点")
    new_point(client, street_duty, session, likelihood=1, consequence=2, name="蓝色\u0007点")  # a BEL no sheet holds
    x = client.get("/api/risks/points/export", headers=district_duty.headers, params={"format": "xlsx"})
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][1] == "风险点名称" and {r[1] for r in rows[1:]} == {"红色点", "蓝色点"}
    assert {r[10] for r in rows[1:]} == {"重大风险", "低风险"}
    again = client.post(
        "/api/risks/points/import",
        headers=street_duty.headers,
        files={"file": ("back.xlsx", x.content, "application/octet-stream")},
    )
    assert again.json() == {"created": 2, "errors": []}
    c = client.get("/api/risks/points/export", headers=street_duty.headers, params={"format": "csv"})
    assert c.text.lstrip("\ufeff").startswith("编号,风险点名称") and c.text.count("红色点") == 2
    rep = client.get(f"/api/risks/reports/{unit(session, DISTRICT).id}", headers=district_duty.headers)
    assert rep.status_code == 200
    wb = load_workbook(io.BytesIO(rep.content))
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[0][0] == "渝中区城市运行安全风险清单"
    district_row = summary[3]
    assert district_row[0] == "渝中区" and district_row[1] == 4 and district_row[2] == 2  # 4 points, 2 重大
    street_rows = {r[0]: r for r in summary[4:]}
    assert street_rows["解放碑街道"][1] == 4 and street_rows["七星岗街道"][1] == 0
    listing = list(wb["清单"].iter_rows(values_only=True))
    assert len(listing) == 5 and "蓝色点" in {r[1] for r in listing}
    assert (
        client.get(f"/api/risks/reports/{unit(session, DISTRICT).id}", headers=street_duty.headers).status_code == 404
    )
