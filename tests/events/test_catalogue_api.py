"""The catalogue routes as an operator uses them: the workflow table, the working calendar and a duty-list
import with a bad row, each answered in its documented shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import login


def test_flow_calendar_and_duty_import_answer_in_their_documented_shapes(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    admin = login(client, factory, "cat_admin", [Role.sysadmin], unit_code="500000")
    flow = client.get("/api/events/flow").json()
    assert {"from": "dispatched", "action": "sign", "to": "signed"} in flow["transitions"]
    assert "dispatcher" in flow["permissions"]["dispatch"]["roles"]
    put = client.put(
        "/api/calendar", headers=admin.headers, json={"day": "2026-10-01", "kind": "holiday", "name": "国庆节"}
    )
    assert put.json() == {"day": "2026-10-01", "kind": "holiday", "name": "国庆节"}
    days = client.get("/api/calendar", headers=admin.headers).json()
    assert {"day": "2026-10-01", "kind": "holiday", "name": "国庆节"} in days
    bad_kind = client.put("/api/calendar", headers=admin.headers, json={"day": "2026-10-02", "kind": "party"})
    assert bad_kind.status_code == 422 and bad_kind.json()["data"]["field"] == "kind"
    export = client.get("/api/duties/export.csv", headers=admin.headers).text
    header, first = export.splitlines()[:2]
    csv = "\n".join([header, first, "no_such.category,,street,centre,,坏行"])
    imported = client.post("/api/duties/import", headers=admin.headers, content=csv.encode()).json()
    assert imported["applied"] == 1 and len(imported["errors"]) == 1 and imported["errors"][0]["row"] == 3
