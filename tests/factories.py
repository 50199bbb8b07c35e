"""Typed helpers that create rows through the services and commit (no factory magic)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role, system_actor
from cityops.core.auth import create_user
from cityops.core.db import session_scope
from cityops.org import service as org
from cityops.org.models import OrgUnit

PASSWORD = "Chongqing2026"


@dataclass
class Login:
    username: str
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unit(session: Session, code: str) -> OrgUnit:
    found = org.get_by_code(session, code)
    assert found is not None, code
    return found


def make_user(
    factory: sessionmaker[Session],
    username: str,
    roles: Sequence[Role],
    *,
    unit_code: str | None = None,
    department_id: int | None = None,
) -> int:
    with session_scope(factory) as s:
        unit_id = unit(s, unit_code).id if unit_code else None
        user = create_user(
            s,
            system_actor("system:test"),
            username=username,
            password=PASSWORD,
            roles=list(roles),
            unit_id=unit_id,
            department_id=department_id,
        )
        return user.id


def login(
    client: TestClient,
    factory: sessionmaker[Session],
    username: str,
    roles: Sequence[Role],
    *,
    unit_code: str | None = None,
    department_id: int | None = None,
) -> Login:
    user_id = make_user(factory, username, roles, unit_code=unit_code, department_id=department_id)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # tests authenticate with the bearer token, explicitly
    return Login(username, user_id, r.json()["token"])


def page_login(client: TestClient, username: str) -> str:
    """Log in through the login page, as a browser does: the client keeps the session cookie; the page forms'
    CSRF token is returned."""
    client.cookies.clear()
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    token = match.group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200, r.text
    return token


def department_id(session: Session, unit_code: str, code: str) -> int:
    from sqlalchemy import select

    from cityops.org.models import Department

    found = session.scalar(
        select(Department.id).where(Department.unit_id == unit(session, unit_code).id, Department.code == code)
    )
    assert found is not None
    return int(found)


def report(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, Any]:
    body: dict[str, object] = {
        "category": "municipal.streetlight_fault",
        "description": "临江支路路灯不亮已三天",
        "address": "渝中区解放碑街道临江支路28号",
        "reporter_phone": "13812345678",
    }
    body.update(fields)
    r = client.post("/api/events", headers=headers, json=body)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())
