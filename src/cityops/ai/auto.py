"""What the AI does when an event is received (`event.received`, subscribed in ai/hooks.py): record the live
model's suggestion, auto-dispatch when an admin has set a threshold for the suggested category and the
confidence reaches it (accept, 改类 if needed, dispatch — each through the events workflow, in the
timeline with the model version and score), and consider the event for a hot spot. Idempotent: a
redelivered message finds its decision recorded and its event in its hot spot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cityops.ai import hotspots, service
from cityops.ai.models import AiDecision
from cityops.ai.text import event_text
from cityops.core import clock
from cityops.core.actor import Actor, system_actor
from cityops.events import catalogue
from cityops.events import service as events
from cityops.events.models import Event, EventLog, Status

AI = system_actor("system:ai")


def on_received(session: Session, payload: dict[str, Any]) -> None:
    event = session.get(Event, payload.get("event_id"))
    if event is None or event.is_drill:
        return
    if session.get(AiDecision, event.id) is None:
        _decide(session, event)
    hotspots.consider(session, event)


def _decide(session: Session, event: Event) -> None:
    live = service.live(session)
    if live.classifier is None or live.version is None:
        return
    code, score = live.classifier.rank([event_text(event.title, event.description, event.address)], 1)[0][0]
    decision = AiDecision(
        event_id=event.id, model_version=live.version, category_code=code, score=score, at=clock.now()
    )
    session.add(decision)
    cat = catalogue.view(session).by_code.get(code)
    threshold = service.thresholds(session).get(cat.id) if cat else None
    if cat is None or threshold is None or score < threshold or event.status != Status.reported:
        return
    facts = {"model_version": live.version, "score": score, "threshold": threshold}
    note = f"智能派遣：模型 {live.version} 推荐「{cat.name}」，置信度 {score:.2f} ≥ 阈值 {threshold:.2f}"
    events.act(session, AI, event, "accept", events.ActionInput(note=note, data=facts))
    if event.category_id != cat.id:
        events.act(session, AI, event, "recategorize", events.ActionInput(note=note, category=code, data=facts))
    events.act(session, AI, event, "dispatch", events.ActionInput(note=note, data=facts))
    decision.auto_dispatched = True


def auto_dispatch_figures(session: Session, actor: Actor) -> dict[str, Any]:
    """智能派遣 afterwards: of the events the AI dispatched by itself (visible to the actor), how many were
    later returned (退单) or reassigned (改派) — the share the model got the owner wrong."""
    visible = events.visible(actor)
    auto = select(AiDecision.event_id).where(AiDecision.auto_dispatched.is_(True))
    total = int(session.scalar(select(func.count()).select_from(Event).where(Event.id.in_(auto), visible)) or 0)
    reassigned = exists().where(EventLog.event_id == Event.id, EventLog.action == "reassign")
    wrong = int(
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.id.in_(auto), visible, (Event.return_count > 0) | reassigned)
        )
        or 0
    )
    rate = round(wrong / total, 3) if total else None
    return {"auto_dispatched": total, "returned_or_reassigned": wrong, "rate": rate}
