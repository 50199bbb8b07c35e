"""The AI in the demo city: closed history in 解放碑街道 made from our corpus (every event titled 【演示】),
a classifier version trained on it and made live, and five similar open reports in one community that the
worker turns into a 热点问题 with its 风险提示."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai import corpus, service, training
from cityops.ai.models import AiModel
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events.intake import IntakeItem, intake_many
from cityops.org.models import OrgLevel, OrgUnit

DEMO = system_actor("system:demo")
STREET = "500103003"  # 解放碑街道
HOT = (
    "【演示】小区门口垃圾堆了好几天没人清运，臭气熏天",
    "【演示】小区门口的垃圾好几天没人清运了，臭得很",
    "【演示】这边小区门口垃圾没人清运，已经好几天了",
    "【演示】小区门口垃圾堆成山了，好几天没人来清运",
    "【演示】垃圾在小区门口堆了好几天，一直没人清运，太臭了",
)


def _communities(session: Session) -> list[OrgUnit]:
    return list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.level == OrgLevel.community, OrgUnit.code.like(f"{STREET}%"), OrgUnit.valid_to.is_(None))
            .order_by(OrgUnit.code)
            .limit(6)
        )
    )


def seed_demo(factory: sessionmaker[Session]) -> str | None:
    """Once per database; returns the live version's figures, or None when already seeded."""
    with session_scope(factory) as s:
        if s.scalar(select(AiModel.id).limit(1)) is not None:
            return None
        communities = _communities(s)
        if not communities:
            return None
        seen, _ = corpus.split(corpus.load())
        rows = [corpus.Text(r.code, f"【演示】{r.text}") for r in seen]
        start = clock.now() - timedelta(hours=len(rows) * 2 + 48)
        corpus.make_history(s, DEMO, rows, unit_ids=[c.id for c in communities], start=start, copies=2)
    with session_scope(factory) as s:
        model = training.train_version(s, DEMO, note="【演示】由演示历史训练 / trained on the demo history")
        service.activate(s, DEMO, model)
        text = f"{model.version}: {training.figures_text(model)}"
    with session_scope(factory) as s:
        target = _communities(s)[0]
        items = [
            IntakeItem(category="city_appearance.exposed_garbage", description=d, source="citizen", unit_id=target.id)
            for d in HOT
        ]
        intake_many(s, DEMO, items)
    return text
