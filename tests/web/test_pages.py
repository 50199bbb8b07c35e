"""Pages without a browser: CSRF on forms, login failures, redirects, language switch."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, make_user


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_pages_need_login_and_forms_need_csrf(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "web1", [Role.dispatcher], unit_code="500103")
    r = client.get("/cockpit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.post("/login", data={"username": "web1", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    token = _csrf(client)
    bad = client.post("/login", data={"username": "web1", "password": "wrong-pass-1", "csrf_token": token})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    ok = client.post(
        "/login", data={"username": "web1", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303 and "cityops_session" in ok.cookies
    cockpit = client.get("/cockpit", follow_redirects=True)
    assert cockpit.status_code == 200 and "渝中区" in cockpit.text
    english = client.get(cockpit.url.path + "?lang=en")
    assert "On-time closure" in english.text


def test_event_form_without_csrf_is_refused(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "web2", [Role.dispatcher], unit_code="500103")
    token = _csrf(client)
    client.post("/login", data={"username": "web2", "password": PASSWORD, "csrf_token": token})
    r = client.post("/events/1/act", data={"action": "accept"})
    assert r.status_code == 403
