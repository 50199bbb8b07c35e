"""Open311 GeoReport v2: form-encoded POST, JSON and XML reads, errors, the real `georeport` client."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from georeport import GeoReport  # type: ignore[import-untyped]
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import login

BASE = "/open311/v2"


def _key(client: TestClient, factory: sessionmaker[Session]) -> str:
    admin = login(client, factory, "o311admin", [Role.sysadmin], unit_code="500000")
    r = client.post("/api/open311/keys", headers=admin.headers, json={"name": "渝快办"})
    assert r.status_code == 201
    return str(r.json()["api_key"])


def _post(client: TestClient, key: str, fmt: str = "json", **fields: str) -> object:
    data = {
        "api_key": key,
        "service_code": "municipal.streetlight_fault",
        "lat": "29.557",
        "long": "106.577",
        "description": "临江支路路灯不亮",
        "phone": "13812345678",
        "jurisdiction_id": "chongqing",
        **fields,
    }
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def test_posted_request_appears_routed_in_staff_api_and_reads(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    key = _key(client, factory)
    r = _post(client, key)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert isinstance(body, list) and set(body[0]) == {"service_request_id", "service_notice"}
    ref = body[0]["service_request_id"]

    staff = login(client, factory, "o311duty", [Role.dispatcher], unit_code="500103")
    found = client.get("/api/events", headers=staff.headers, params={"q": ref}).json()["items"]
    assert len(found) == 1 and found[0]["owner_name"] == "渝中区城市管理局" and found[0]["source"] == "open311"
    assert found[0]["reporter_phone"] == "138****5678"

    listed = client.get(f"{BASE}/requests.json").json()
    assert [x["service_request_id"] for x in listed] == [ref]
    assert listed[0]["status"] == "open" and listed[0]["agency_responsible"] == "渝中区城市管理局"
    assert listed[0]["expected_datetime"].endswith("+08:00")
    xml = client.get(f"{BASE}/requests.xml")
    assert xml.headers["content-type"].startswith("text/xml") and xml.content.startswith(b'<?xml version="1.0"')
    root = ET.fromstring(xml.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == ref
    one = client.get(f"{BASE}/requests/{ref}.json").json()
    assert isinstance(one, list) and one[0]["service_request_id"] == ref


def test_georeport_client_reads_services_and_requests(
    client: TestClient, factory: sessionmaker[Session], live_url: str
) -> None:
    key = _key(client, factory)
    ref = _post(client, key).json()[0]["service_request_id"]  # type: ignore[attr-defined]
    for fmt in ("json", "xml"):
        gr = GeoReport(f"{live_url}{BASE}", jurisdiction="chongqing", output_format=fmt)
        services = gr.get_service_list()
        assert len(services) >= 40 and any(s["service_code"] == "labour.wage_arrears" for s in services)
        definition = gr.get_service_definition("labour.wage_arrears")
        attrs = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert {a["code"] for a in attrs} == {"amount_yuan", "workers"}
        requests = gr.get_service_requests(status="open")
        request = requests if isinstance(requests, dict) else requests[0]  # xmltodict yields a dict for one item
        assert request["service_request_id"] == ref
        assert gr.get_service_request(ref)["service_request_id"] == ref


def test_errors_are_georeport_arrays_with_the_right_status(client: TestClient, factory: sessionmaker[Session]) -> None:
    key = _key(client, factory)
    r = _post(client, key, service_code="no.such.service")
    assert r.status_code == 404 and r.json()[0]["code"] == "404"  # type: ignore[attr-defined]
    r = client.post(
        f"{BASE}/requests.xml",
        data={"api_key": key, "service_code": "municipal.streetlight_fault", "description": "没有位置"},
    )
    assert r.status_code == 400
    root = ET.fromstring(r.content)
    assert root.tag == "errors" and "location" in (root.find("error/description").text or "")
    assert _post(client, "wrong-key").status_code == 403  # type: ignore[attr-defined]
    assert client.get(f"{BASE}/requests/CQ0.json").status_code == 404
    assert client.get(f"{BASE}/services.json", params={"jurisdiction_id": "beijing"}).status_code == 404
    assert (
        client.get(
            f"{BASE}/requests.json", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
        ).status_code
        == 400
    )
    wage = _post(client, key, service_code="labour.wage_arrears")
    assert wage.status_code == 400 and "amount_yuan" in wage.json()[0]["description"]  # type: ignore[attr-defined]
    ok = _post(
        client,
        key,
        service_code="labour.wage_arrears",
        **{"attribute[amount_yuan]": "52000", "attribute[workers]": "12"},
    )
    assert ok.status_code == 200  # type: ignore[attr-defined]


def test_every_xml_response_parses_strictly(client: TestClient, factory: sessionmaker[Session]) -> None:
    key = _key(client, factory)
    ref = _post(client, key).json()[0]["service_request_id"]  # type: ignore[attr-defined]
    for path in (
        "discovery.xml",
        "services.xml",
        "services/labour.wage_arrears.xml",
        "requests.xml",
        f"requests/{ref}.xml",
        "services/missing.xml",
        f"servicerequestupdates.xml?api_key={key}",
    ):
        r = client.get(f"{BASE}/{path}")
        ET.fromstring(r.content)  # raises on anything malformed
        assert r.headers["content-type"] == "text/xml; charset=utf-8", path


def test_service_request_updates_extension(client: TestClient, factory: sessionmaker[Session]) -> None:
    key = _key(client, factory)
    ref = _post(client, key).json()[0]["service_request_id"]  # type: ignore[attr-defined]
    updates = client.get(f"{BASE}/servicerequestupdates.json", params={"api_key": key}).json()
    assert {u["service_request_id"] for u in updates} == {ref} and updates[0]["status"] == "open"
    r = client.post(
        f"{BASE}/servicerequestupdates.json",
        data={
            "api_key": key,
            "service_request_id": ref,
            "update_id": "ext-1",
            "status": "IN_PROGRESS",
            "updated_datetime": "2026-03-02T10:00:00+08:00",
            "description": "供电公司已到场",
        },
    )
    assert r.status_code == 200 and r.json() == [{"update_id": "ext-1"}]
    assert client.get(f"{BASE}/servicerequestupdates.json").status_code == 403  # the key is required


def test_public_endpoints_are_rate_limited(client: TestClient) -> None:
    client.app.state.settings.public_per_minute = 5  # type: ignore[attr-defined]
    codes = [client.get(f"{BASE}/services.json").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
