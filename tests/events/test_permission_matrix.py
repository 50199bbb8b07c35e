"""Tests generated from the permission matrix (`cityops.events.flow.PERMISSIONS`, rendered in
docs/permissions.md): every action × role × level is tried over HTTP on an event dispatched by a street
centre, and the answer must be what the matrix says.

The event is put in a terminal state, so a permitted action is refused only by the workflow (409) and
changes nothing; a forbidden one is refused by the permission rule (403), or hidden (404) from a unit
that cannot see the event at all."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events.flow import PERMISSIONS
from cityops.events.models import Event
from tests.factories import login, report, unit

STREET, DISTRICT, CITY, OTHER_STREET = "500103003", "500103", "500000", "500103001"
LEVELS = {"street": STREET, "district": DISTRICT, "city": CITY, "other_street": OTHER_STREET}
ROLES = [
    Role.dispatcher,
    Role.leader,
    Role.handler,
    Role.grid_worker,
    Role.data_admin,
    Role.app_admin,
    Role.sysadmin,
    Role.auditor,
]


def expected(role: Role, action: str, level: str) -> bool:
    """The matrix, read for an event whose dispatching and owning centre is the street's (no department)."""
    rule = PERMISSIONS[action]
    if role not in rule.roles:
        return False
    return {
        "centre": level in ("street", "district", "city"),
        "above": level in ("district", "city"),
        "assignee": level == "street",
        "reporter_or_centre": level in ("street", "district", "city"),
    }[rule.relation]


def test_every_action_role_and_level_is_answered_as_the_matrix_says(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    citizen = login(client, factory, "matrix_citizen", [Role.citizen])
    ev = report(
        client,
        citizen.headers,
        category="city_appearance.street_vending",
        description="流动摊贩占道",
        address="渝中区解放碑街道民族路",
    )
    street_id = unit(session, STREET).id
    with session_scope(factory) as s:
        s.execute(
            update(Event)
            .where(Event.id == ev["id"])
            .values(status="merged", dispatcher_unit_id=street_id, owner_unit_id=street_id, owner_department_id=None)
        )
    mismatches = []
    checked = 0
    for level, code in LEVELS.items():
        for role in ROLES:
            who = login(client, factory, f"m_{level}_{role.value}", [role], unit_code=code)
            for action in PERMISSIONS:
                r = client.post(f"/api/events/{ev['id']}/actions/{action}", headers=who.headers, json={"note": "测试"})
                checked += 1
                allowed = expected(role, action, level)
                ok = r.status_code == 409 if allowed else r.status_code in (403, 404)
                if not ok:
                    mismatches.append(
                        f"{role.value}@{level} {action}: {r.status_code} (matrix says "
                        f"{'allowed' if allowed else 'forbidden'})"
                    )
    # The citizen who reported it may rate and reopen (and nothing else); another citizen sees nothing.
    for action in PERMISSIONS:
        r = client.post(f"/api/events/{ev['id']}/actions/{action}", headers=citizen.headers, json={"note": "测试"})
        allowed = action in ("rate", "reopen")
        if (r.status_code == 409) != allowed or (not allowed and r.status_code not in (403, 404)):
            mismatches.append(f"reporter {action}: {r.status_code}")
    stranger = login(client, factory, "matrix_stranger", [Role.citizen])
    assert client.post(f"/api/events/{ev['id']}/actions/rate", headers=stranger.headers, json={}).status_code == 404
    assert checked == len(LEVELS) * len(ROLES) * len(PERMISSIONS)
    assert not mismatches, "\n".join(mismatches)
