"""热点问题 and near duplicates: five similar reports in one community within three days form one hot spot and
raise one 风险提示 (a sixth joins it without another); the dispatcher and the intake form see similar open
reports nearby; another street sees none of it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai.models import HotSpot
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from tests.ai.conftest import COMMUNITY, STREET, answer_received
from tests.factories import login, report

TEXTS = [
    "邹容路小区门口垃圾堆了好几天没人清运，臭气熏天",
    "小区门口的垃圾好几天没人清运了，臭得很",
    "邹容路这边小区门口垃圾没人清运，已经好几天了",
    "小区门口垃圾堆成山了，好几天没人来清运",
    "垃圾在小区门口堆了好几天，一直没人清运，太臭了",
    "小区门口垃圾还是没人清运，好几天了，臭",
]


def test_five_similar_reports_in_one_community_raise_one_hot_spot_and_one_prompt(
    client: TestClient, factory: sessionmaker[Session], frozen: object
) -> None:
    duty = login(client, factory, "ai_hot_duty", [Role.dispatcher], unit_code=STREET)
    ids = []
    for text in TEXTS[:4]:
        ids.append(
            report(
                client,
                duty.headers,
                category="city_appearance.exposed_garbage",
                description=text,
                unit_code=COMMUNITY,
                address="",
            )["id"]
        )
    answer_received(factory)
    assert client.get("/api/ai/hotspots", headers=duty.headers).json() == []  # four are not yet a hot spot
    assessed = client.get(f"/api/ai/events/{ids[0]}", headers=duty.headers).json()
    assert {s["event_id"] for s in assessed["similar"]} >= set(ids[1:4])  # 并案 candidates
    assert assessed["suggestions"]["items"][0]["code"] == "city_appearance.exposed_garbage"
    for text in TEXTS[4:]:
        ids.append(
            report(
                client,
                duty.headers,
                category="city_appearance.exposed_garbage",
                description=text,
                unit_code=COMMUNITY,
                address="",
            )["id"]
        )
    answer_received(factory)
    spots = client.get("/api/ai/hotspots", headers=duty.headers).json()
    assert len(spots) == 1 and spots[0]["count"] == 6 and spots[0]["unit_name"].startswith("邹容路社区")
    assert "件相似的「暴露垃圾」反映" in spots[0]["prompt_text"] and {e["id"] for e in spots[0]["events"]} == set(ids)
    with session_scope(factory) as s:
        prompts = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "risk.prompt")).all()
        assert len(prompts) == 1 and prompts[0].payload["source"] == "ai.hotspot"
        assert len(s.scalars(select(HotSpot)).all()) == 1
    inbox = client.get("/api/notifications", headers=duty.headers, params={"kind": "risk_prompt"}).json()["items"]
    assert (
        len(inbox) == 1 and inbox[0]["title"] == "风险提示：邹容路社区居民委员会热点问题「暴露垃圾」"
    )  # the street is told once
    other = login(client, factory, "ai_hot_other", [Role.dispatcher], unit_code="500103001")
    assert client.get("/api/ai/hotspots", headers=other.headers).json() == []
    assert client.get(f"/api/ai/events/{ids[0]}", headers=other.headers).status_code == 404
