"""The demo catalogue: marked demo, idempotent, requests in each state, the shelf filled."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.catalog.demo import seed_demo
from cityops.catalog.models import CapabilityComponent, CatalogEntry, DataRequest
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.demo.users import ensure_demo_users


def test_demo_catalogue_is_marked_and_idempotent(factory: sessionmaker[Session]) -> None:
    actor = system_actor("system:test")
    with session_scope(factory) as s:
        ensure_demo_users(s, actor)
    for _ in range(2):
        with session_scope(factory) as s:
            seed_demo(s, actor)
    with session_scope(factory) as s:
        demo = s.scalars(select(CatalogEntry).where(CatalogEntry.is_demo.is_(True))).all()
        assert len(demo) == 8 and all(e.summary.startswith("【演示】") and e.state == "published" for e in demo)
        assert s.scalar(select(func.count()).where(CatalogEntry.source.is_not(None))) == 17
        states = sorted(s.scalars(select(DataRequest.state).where(DataRequest.is_demo.is_(True))))
        assert states == ["approved", "refused", "submitted"]
        listed = s.scalars(select(CapabilityComponent.status).where(CapabilityComponent.is_demo.is_(True))).all()
        assert sorted(listed) == ["listed", "listed", "listed", "listed", "pending"]
