"""Input a client can get wrong answers 4xx naming what is wrong, never 500 — found by fuzzing every route:
bodies the routes parse themselves (bulk imports, sensor lines, device lists, YAML, CSV), numbers no
column holds, a blank idempotency key, naive datetimes, and stored text an export must still write."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.core.errors import Invalid
from cityops.web.params import form_number
from tests.factories import Login, login

JSON = {"Content-Type": "application/json"}
LINES = {"Content-Type": "application/x-ndjson"}
DEEP = b"[" * 5000 + b"]" * 5000
REPORT = {"category": "municipal.streetlight_fault", "description": "路灯不亮", "address": "渝中区解放碑街道民族路88号"}


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session]) -> Login:
    return login(client, factory, "bad_admin", [Role.sysadmin, Role.dispatcher, Role.data_admin], unit_code="500000")


def _refused(r: object, status: int, field: str) -> None:
    assert getattr(r, "status_code", None) == status, getattr(r, "text", r)
    assert r.json()["data"]["field"] == field, r.text  # type: ignore[attr-defined]


def test_self_parsed_bodies_refuse_what_they_cannot_read(client: TestClient, admin: Login) -> None:
    h = admin.headers
    _refused(client.post("/api/events/batch", headers={**h, **JSON}, content=b'[{"a":"\xff"}]'), 422, "body")
    _refused(client.post("/api/events/batch", headers={**h, **JSON}, content=DEEP), 422, "body")
    _refused(client.post("/api/devices", headers={**h, **JSON}, content=DEEP), 422, "body")
    lone = b'[{"code":"\\ud800","type":"water_level","name":"n","unit_code":"500103003","lon":106.5,"lat":29.5}]'
    _refused(client.post("/api/devices", headers={**h, **JSON}, content=lone), 422, "body")
    yaml_ = {**h, "Content-Type": "application/yaml"}
    _refused(client.post("/api/plans/import", headers=yaml_, content=DEEP), 422, "body")
    deep_geojson = b'{"type": "FeatureCollection", "features": ' + DEEP + b"}"
    files = {"file": ("grids.geojson", deep_geojson, "application/geo+json")}
    _refused(client.post("/api/grids/import", headers=h, files=files), 422, "file")
    huge_field = b'"' + b"a" * 200_000 + b'"'
    _refused(
        client.post("/api/duties/import", headers={**h, "Content-Type": "text/csv"}, content=huge_field), 422, "body"
    )
    # A line of sensor readings that cannot be read is rejected alone, with its reason; the rest go on.
    lines = b'{"device":"\\ud800","value":1}\n' + DEEP + b"\n"
    r = client.post("/api/readings", headers={**h, **LINES}, content=lines)
    assert r.status_code == 200, r.text
    reasons = [x["detail"] for x in r.json()["rejected"]]
    assert len(reasons) == 2 and "代理项" in reasons[0] and "嵌套过深" in reasons[1]


def test_a_pair_of_surrogate_escapes_is_text_not_an_error(client: TestClient, admin: Login) -> None:
    body = (
        '[{"category": "municipal.streetlight_fault", "description": "路灯不亮 \\ud83d\\udca1", '
        '"address": "渝中区解放碑街道民族路88号"}]'
    )
    r = client.post("/api/events/batch", headers={**admin.headers, **JSON}, content=body.encode())
    assert r.status_code == 200 and r.json()["created"] == 1, r.text


def test_numbers_no_column_holds_are_refused_naming_the_field(client: TestClient, admin: Login) -> None:
    r = client.post(
        "/api/wages/employers", headers=admin.headers, json={"credit_code": "x", "name": "n", "unit_id": 10**30}
    )
    _refused(r, 422, "unit_id")
    split = {"name": "新街道", "child_ids": [1, 10**30]}  # an id inside a list is a number a column holds too
    _refused(client.post("/api/org/units/1/split", headers=admin.headers, json=split), 422, "child_ids")
    body = b'{"paid_on":"2026-03-01","amount_yuan":Infinity,"workers":3,"wage_month":"2026-02"}'
    _refused(
        client.post("/api/wages/projects/1/payments", headers={**admin.headers, **JSON}, content=body),
        422,
        "amount_yuan",
    )
    with pytest.raises(Invalid) as nan:
        form_number("nan", "workers")  # float() reads it; no page may take it for a count
    assert nan.value.data["field"] == "workers"


def test_a_deadline_without_its_time_zone_is_refused(client: TestClient, admin: Login) -> None:
    for deadline in ("2026-12-01T10:00:00", "2026-12-01"):
        body = {"point_id": 1, "title": "t", "grade": "general", "deadline": deadline}
        _refused(client.post("/api/risks/hazards", headers=admin.headers, json=body), 422, "deadline")


def test_a_blank_idempotency_key_is_no_key(client: TestClient, admin: Login) -> None:
    first = client.post("/api/events", headers=admin.headers, json={**REPORT, "idempotency_key": ""})
    second = client.post("/api/events", headers=admin.headers, json={**REPORT, "idempotency_key": "   "})
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["id"] != second.json()["id"]  # two reports, neither taken for a repeat of the other
    direct = {
        "title": "t",
        "description": "d",
        "category": "municipal.streetlight_fault",
        "address": "渝中区解放碑街道",
    }
    for key in ("", "   "):
        r = client.post("/api/direct-reports", headers=admin.headers, json={**direct, "idempotency_key": key})
        assert r.status_code == 201, r.text


def test_an_export_writes_text_stored_with_control_characters(client: TestClient, admin: Login) -> None:
    r = client.post("/api/events", headers=admin.headers, json={**REPORT, "description": "灯不\u0007亮"})
    assert r.status_code == 201, r.text
    export = client.get("/api/events/export.xlsx", headers=admin.headers)
    assert export.status_code == 200, export.text
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    assert any("灯不亮" in str(c.value) for row in sheet.iter_rows() for c in row)


def test_a_bundle_key_is_a_name_never_a_path(client: TestClient, admin: Login) -> None:
    # Each reaches the handler (a "/" would not: the router splits on it): too long, a NUL, dots and a
    # backslash, a shipped name with a suffix.
    for key in ("x" * 300, "minhu%00", "..%5Cminhu", "minhu.yaml"):
        r = client.post(f"/api/bundles/{key}/uninstall", headers=admin.headers)
        assert r.status_code == 404 and r.json()["code"] == "apps.bundle_not_found", (key, r.text)


def test_a_category_fields_bounds_are_numbers(client: TestClient, admin: Login) -> None:
    """A bound given as text would fail every report of the category; it is refused where it is set."""
    url = "/api/catalogue/categories/labour.wage_arrears"
    for spec, field in (
        ({"code": "workers", "name": "涉及人数", "type": "number", "min": "1"}, "required_fields[0].min"),
        ({"code": "workers", "name": "涉及人数", "type": "number", "integer": "false"}, "required_fields[0].integer"),
        ({"code": "workers", "name": "涉及人数", "type": "number", "min": 5, "max": 1}, "required_fields[0].min"),
    ):
        _refused(client.patch(url, headers=admin.headers, json={"required_fields": [spec]}), 422, field)
    ok = {"code": "workers", "name": "涉及人数", "type": "number", "integer": True, "min": 1, "max": 1000}
    assert client.patch(url, headers=admin.headers, json={"required_fields": [ok]}).status_code == 200
