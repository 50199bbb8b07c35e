"""Batch intake: valid rows go in, invalid rows come back with row number, field and reason."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from tests.events.conftest import Cast

STREETS = ["渝中区解放碑街道", "渝中区七星岗街道", "沙坪坝区小龙坎街道", "江北区观音桥街道", "梁平县双桂街道"]


def test_csv_of_ten_thousand_rows_with_a_hundred_bad(client: TestClient, cast: Cast) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["category", "description", "address", "lon", "reporter_phone", "source", "idempotency_key"])
    bad_lines: dict[int, str] = {}
    for i in range(10_000):
        line = i + 2  # the header is line 1
        row = [
            "municipal.streetlight_fault",
            f"第{i}号路灯不亮",
            STREETS[i % len(STREETS)],
            "",
            "13800000000",
            "import",
            f"imp-{i}",
        ]
        if i % 100 == 7:
            kind = (i // 100) % 4
            if kind == 0:
                row[0], bad_lines[line] = "municipal.unknown", "category"
            elif kind == 1:
                row[1], bad_lines[line] = "", "description"
            elif kind == 2:
                row[3], bad_lines[line] = "east", "lon"
            else:
                row[4], bad_lines[line] = "123", "reporter_phone"
        writer.writerow(row)
    r = client.post(
        "/api/events/batch",
        headers={**cast.district.headers, "Content-Type": "text/csv"},
        content=out.getvalue().encode(),
    )
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["created"] == 9_900 and body["failed"] == 100
    assert {e["row"]: e["field"] for e in body["errors"]} == bad_lines
    assert all(e["reason"] for e in body["errors"])
    listed = client.get("/api/events", headers=cast.city.headers, params={"limit": 1}).json()
    assert (listed["total"], listed["total_exact"]) == (9_900, True)

    again = client.post(
        "/api/events/batch",
        headers={**cast.district.headers, "Content-Type": "text/csv"},
        content=out.getvalue().encode(),
    )
    assert again.json()["created"] == 0 and again.json()["duplicates"] == 9_900  # idempotency keys

    # Past 10,000 a list's total is a lower bound, said so; paging goes on past it.
    more = "category,description,address,source\n" + "".join(
        f"municipal.streetlight_fault,第{i}号路灯又坏了,{STREETS[i % len(STREETS)]},import\n" for i in range(101)
    )
    r = client.post(
        "/api/events/batch", headers={**cast.district.headers, "Content-Type": "text/csv"}, content=more.encode()
    )
    assert r.json()["created"] == 101
    listed = client.get("/api/events", headers=cast.city.headers, params={"limit": 1}).json()
    assert (listed["total"], listed["total_exact"]) == (10_000, False)
    last = client.get("/api/events", headers=cast.city.headers, params={"limit": 5, "offset": 9_999}).json()
    assert len(last["items"]) == 2 and last["total_exact"] is False
    again_few = client.get("/api/events", headers=cast.city.headers, params={"q": "又坏了", "limit": 1}).json()
    assert (again_few["total"], again_few["total_exact"]) == (101, True)


def test_json_lines_batch_reports_malformed_lines(client: TestClient, cast: Cast) -> None:
    good = {
        "category": "city_appearance.exposed_garbage",
        "description": "垃圾堆放",
        "address": "渝中区解放碑街道",
        "source": "import",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({**good, "severity": "apocalyptic"}),
        json.dumps({**good, "colour": "red"}),
    ]
    r = client.post(
        "/api/events/batch",
        headers={**cast.district.headers, "Content-Type": "application/x-ndjson"},
        content="\n".join(lines).encode(),
    )
    body = r.json()
    assert body["created"] == 1
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (2, "line"),
        (3, "line"),
        (4, "severity"),
        (5, "colour"),
    ]


def test_batch_rejects_unknown_format(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/api/events/batch", headers={**cast.district.headers, "Content-Type": "application/xml"}, content=b"<x/>"
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "content-type"
    r = client.post(
        "/api/events/batch", headers={**cast.district.headers, "Content-Type": "application/json"}, content=b'{"a": 1}'
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "body"
