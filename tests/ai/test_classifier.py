"""Category suggestion: keyword fallback (said so) with too little history; a version trained on closed
events beats the keyword baseline on texts it never saw; versions registered as AI+ components."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog.models import CapabilityComponent
from cityops.core.actor import Role
from tests.factories import login


def test_too_little_history_falls_back_to_keywords_and_says_so(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    duty = login(client, factory, "ai_duty0", [Role.dispatcher], unit_code="500103003")
    r = client.get("/api/ai/suggest", params={"text": "路灯不亮了，晚上好黑"}, headers=duty.headers)
    body = r.json()
    assert r.status_code == 200 and body["source"] == "keywords" and "历史不足" in body["note"]
    assert body["items"][0]["code"] == "municipal.streetlight_fault"
    admin = login(client, factory, "ai_admin0", [Role.sysadmin], unit_code="500000")
    r = client.post("/api/ai/models/train", headers=admin.headers)
    assert r.status_code == 409 and r.json()["code"] == "ai.too_little_history"
    r = client.post("/api/ai/models/train", headers=duty.headers)
    assert r.status_code == 403


def test_a_model_trained_on_closed_events_beats_keywords_on_unseen_texts(
    history: dict[str, object], client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    m = history["metrics"]
    assert isinstance(m, dict)
    assert m["n_test"] == 150
    assert m["top1"] >= m["baseline"]["top1"] + 0.15, m
    assert m["top3"] > m["baseline"]["top3"] and m["macro_f1"] > m["baseline"]["macro_f1"]
    duty = login(client, factory, "ai_duty1", [Role.dispatcher], unit_code="500103003")
    t0 = time.perf_counter()
    r = client.get("/api/ai/suggest", params={"text": "楼下那家串串店的烟子全部飘到我屋头来了"}, headers=duty.headers)
    body = r.json()
    assert body["source"] == "model" and body["model_version"] == history["version"]
    assert len(body["items"]) == 3 and body["items"][0]["code"] == "environment.cooking_fumes", body
    assert body["items"][0]["owner"]  # the owner that closed this category most often
    assert time.perf_counter() - t0 < 2
    models = client.get("/api/ai/models", headers=duty.headers).json()
    assert models[0]["live"] and models[0]["metrics"]["baseline"]["top1"] < models[0]["metrics"]["top1"]
    comp = session.scalars(select(CapabilityComponent).where(CapabilityComponent.code == "ai.category.v1")).one()
    assert comp.kind == "ai_model" and comp.status == "listed" and comp.version == "v1"
    assert "首选准确率" in comp.description
    others = session.scalars(select(CapabilityComponent.code).where(CapabilityComponent.kind == "ai_model")).all()
    assert {"ai.duplicates.v1", "ai.hotspots.v1", "ai.summary.v1"} <= set(others)
