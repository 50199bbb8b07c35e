"""The dispatcher's side of the suggestions: what the event page shows (top 3, similar open reports) and
accepting one with a click — 改类 when it differs, then accept and dispatch as far as the dispatcher may,
each through the events workflow with the model version and score in the timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cityops.ai import duplicates, service
from cityops.ai.text import event_text
from cityops.core.actor import Actor
from cityops.core.errors import Invalid
from cityops.events import service as events
from cityops.events.models import Event


@dataclass
class Panel:
    suggestions: service.Suggestions
    similar: list[duplicates.Similar]
    current: str  # the event's category code
    can_accept: bool
    can_merge: bool


def panel(session: Session, actor: Actor, event: Event, allowed: list[str]) -> Panel:
    from cityops.events import catalogue

    s = service.suggest(session, event_text(event.title, event.description, event.address))
    cat = catalogue.view(session).by_id.get(event.category_id)
    return Panel(
        suggestions=s,
        similar=duplicates.for_event(session, event, events.visible(actor)),
        current=cat.code if cat else "",
        can_accept=bool({"recategorize", "accept", "dispatch"} & set(allowed)),
        can_merge="merge" in allowed,
    )


def accept(session: Session, actor: Actor, event: Event, code: str, *, version: int | None = None) -> list[str]:
    """Take one of the current suggestions; returns the actions taken."""
    s = service.suggest(session, event_text(event.title, event.description, event.address))
    chosen = next((i for i in s.items if i.code == code), None)
    if chosen is None:
        raise Invalid(
            "该分类不在当前推荐中 / not one of the current suggestions", field="code", code="ai.not_suggested"
        )
    facts = {"model_version": s.model_version or "keywords", "score": chosen.score, "suggestion": "accepted"}
    by = f"模型 {s.model_version}" if s.model_version else "关键词"
    note = f"采纳智能推荐「{chosen.name}」（{by}，置信度 {chosen.score:.2f}）"
    done: list[str] = []
    steps: list[tuple[str, str | None]] = [("recategorize", code)] if code != _code_of(session, event) else []
    steps += [("accept", None), ("dispatch", None)]
    for action, category in steps:
        if action not in events.allowed_actions(event, actor, session):
            continue
        body = events.ActionInput(note=note, category=category, data=facts, version=version if not done else None)
        events.act(session, actor, event, action, body)
        done.append(action)
    if not done:
        raise Invalid(
            "此事件现在不能按推荐分拨 / nothing you may do with it now", field="code", code="ai.nothing_to_do"
        )
    return done


def _code_of(session: Session, event: Event) -> str:
    from cityops.events import catalogue

    cat = catalogue.view(session).by_id.get(event.category_id)
    return cat.code if cat else ""
