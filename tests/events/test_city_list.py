"""The event list for each level against a hand count: the city's users see every event (the list then
leaves the subtree test out, see `sees_every_event`), a district's see its own subtree, and a second top
of the tree puts the test back so nobody sees another tree's events."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Actor
from cityops.core.auth import User, actor_for
from cityops.core.db import session_scope
from cityops.events.models import Event
from cityops.events.service import sees_every_event
from cityops.org.models import OrgUnit
from tests.events.conftest import Cast
from tests.factories import report, unit

PLACES = ("500103003", "500103001", "500106", "500112")  # 解放碑街道, 七星岗街道, 沙坪坝区, 渝北区


def _listed(client: TestClient, headers: dict[str, str]) -> tuple[list[int], int]:
    r = client.get("/api/events?limit=200", headers=headers)
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["items"]], r.json()["total"]


def _newest_first(session: Session, ids: set[int]) -> list[int]:
    rows = session.execute(select(Event.id, Event.received_at).where(Event.id.in_(ids))).all()
    return [i for i, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]


def test_each_level_lists_what_a_hand_count_gives(client: TestClient, cast: Cast, session: Session) -> None:
    made = [report(client, cast.city.headers, unit_code=code, address="")["id"] for code in PLACES * 2]
    session.rollback()  # a fresh snapshot: the fixtures' read began before the reports
    everything = set(session.scalars(select(Event.id)))
    assert set(made) <= everything
    assert sees_every_event(session, _actor(session, "city_leader"))  # the list takes the shortcut
    assert not sees_every_event(session, _actor(session, "yz_duty"))
    ids, total = _listed(client, cast.city_leader.headers)
    assert ids == _newest_first(session, everything) and total == len(everything)

    yz = unit(session, "500103").path
    seen = {e.id for e in session.scalars(select(Event)) if e.unit_path.startswith(yz) or e.owner_path.startswith(yz)}
    ids, total = _listed(client, cast.district.headers)
    assert ids == _newest_first(session, seen) and total == len(seen) == 4


def test_a_second_top_of_the_tree_keeps_its_events_apart(
    client: TestClient, cast: Cast, factory: sessionmaker[Session], session: Session
) -> None:
    report(client, cast.city.headers, unit_code="500103003", address="")
    with session_scope(factory) as s:
        _add_another_tree_with_an_event(s)
    session.rollback()  # no cache dropped: the second top is seen at once, not after a cache's lifetime
    assert not sees_every_event(session, _actor(session, "city_leader"))
    ids, total = _listed(client, cast.city_leader.headers)
    mine = set(session.scalars(select(Event.id).where(Event.unit_path.startswith(unit(session, "500000").path))))
    assert set(ids) == mine and total == len(mine)
    other_event = session.scalar(select(Event.id).where(Event.ref == "CQ-OTHER-TREE"))
    assert other_event is not None and other_event not in ids


def _actor(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return actor_for(session, user)


def _add_another_tree_with_an_event(session: Session) -> None:
    other = OrgUnit(code="990000", name="另一城市", short_name="另一城市", level="city", kind="市", path="/")
    session.add(other)
    session.flush()
    other.path = f"/{other.id}/"
    template = session.scalars(select(Event).limit(1)).one()
    session.add(
        Event(
            ref="CQ-OTHER-TREE",
            source=template.source,
            category_id=template.category_id,
            severity=template.severity,
            title="另一城市的事件",
            description="另一城市的事件",
            unit_id=other.id,
            unit_path=other.path,
            owner_unit_id=other.id,
            owner_path=other.path,
            dispatcher_unit_id=other.id,
            route_reason="",
            status=template.status,
            stage=template.stage,
            stage_started_at=template.received_at,
            received_at=template.received_at,
        )
    )
