"""Exports for people: the XLSX opens (read back with openpyxl) with Chinese headers, China time and Chinese
names; the CSV starts with a BOM and has no microseconds; both are scoped like the list."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from tests.factories import login, report


def test_xlsx_and_csv_exports_speak_chinese_in_china_time(
    client: TestClient, factory: sessionmaker[Session], frozen: clock.FrozenClock
) -> None:
    frozen.advance(microseconds=123456)
    citizen = login(client, factory, "x_citizen", [Role.citizen])
    duty = login(client, factory, "x_duty", [Role.dispatcher], unit_code="500103")
    other = login(client, factory, "x_other", [Role.dispatcher], unit_code="500106")  # 沙坪坝区
    mine = report(client, citizen.headers)
    client.post(f"/api/events/{mine['id']}/actions/accept", headers=duty.headers, json={})

    r = client.get("/api/events/export.xlsx", headers=duty.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:3] == ("受理编号", "受理时间（北京时间 UTC+8）", "状态")
    assert len(rows) == 2 and first["受理编号"] == mine["ref"]
    # Frozen at 02:00:00.123456 UTC: 10:00:00 in Chongqing, to the second.
    # Excel cells hold local times without a zone; the column header names it.
    assert first["受理时间（北京时间 UTC+8）"] == datetime(2026, 3, 2, 10, 0, 0)  # noqa: DTZ001
    assert first["状态"] == "待派遣" and first["紧急程度"] == "一般" and first["来源"] == "民呼我为"
    assert first["是否超期"] == "否" and first["报事人电话（脱敏）"] == "138****5678"

    r = client.get("/api/events/export.csv", headers=duty.headers)
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0]["受理时间（北京时间 UTC+8）"] == "2026-03-02 10:00:00"
    assert table[0]["状态"] == "待派遣" and "." not in table[0]["本环节时限（北京时间 UTC+8）"]

    elsewhere = load_workbook(io.BytesIO(client.get("/api/events/export.xlsx", headers=other.headers).content))
    assert len(list(elsewhere.active.iter_rows(values_only=True))) == 1  # headers only: not their district
