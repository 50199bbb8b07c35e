"""Staff pages without a browser: English on the workspace pages, and no raw codes on the Chinese event page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, login, make_user, report
from tests.web.test_pages import _csrf

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _browser_login(client: TestClient, username: str) -> None:
    token = _csrf(client)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200, r.text


def test_workspace_pages_in_english_and_event_page_without_codes(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    grid = login(client, factory, "wp_grid", [Role.grid_worker], unit_code="500103003")
    r = client.post(
        "/api/direct-reports",
        headers=grid.headers,
        json={"category": "work_safety.gas_leak", "title": "燃气泄漏", "description": "餐馆后厨燃气管破裂"},
    )
    event_id = r.json()["event_id"]
    citizen = login(client, factory, "wp_citizen", [Role.citizen])
    report(client, citizen.headers)
    make_user(factory, "wp_duty", [Role.dispatcher], unit_code="500103003")
    _browser_login(client, "wp_duty")

    chinese = client.get(f"/events/{event_id}").text
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", chinese, flags=re.S)
    for code in ("direct_report", "in_progress", "urgent", "emergency", "street", "district", "pending", "open"):
        found = re.search(rf".{{60}}\b{code}\b.{{40}}", visible, re.S)
        assert not found, found.group(0) if found else ""
    assert "突发事件直报" in visible and "镇街" in visible and "待完成" in visible

    english = client.get(f"/events/{event_id}?lang=en").text
    for words in ("Assigned to", "Stage deadline", "Severity", "Urgent", "Emergency report", "Timeline"):
        assert words in english, words
    todo = client.get("/todo?lang=en").text
    assert "My work" in todo and "Direct report to acknowledge" in todo and "Acknowledge" in todo
    labels = re.findall(r"<th>([^<]*)</th>", todo)
    assert labels and not any(CHINESE.search(label) for label in labels)
    inbox = client.get("/notifications?lang=en").text
    assert "Mark all read" in inbox and "Emergency report" in inbox
    assert not any(CHINESE.search(label) for label in re.findall(r"<th>([^<]*)</th>", inbox))
