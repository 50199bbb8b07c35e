"""热点问题: at least five similar reports of one category in one community within three days form a hot
spot, listed on the cockpit with its events; its forming raises one 风险提示 (audited, and told through
the outbox like the risk register's prompts). Later similar reports join it without a second prompt."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.ai.models import HotSpot
from cityops.ai.text import event_text, similarity
from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, system_actor
from cityops.events import catalogue, routing
from cityops.events.models import Event, Status
from cityops.org import service as org
from cityops.org.models import OrgLevel
from cityops.org.service import in_subtree
from cityops.plans.notify import notify

MIN_REPORTS = 5
WINDOW = timedelta(days=3)
MIN_SIMILARITY = 0.25  # to the newest report: "about the same thing", not merely the same category
AI = system_actor("system:ai")


def _community(session: Session, event: Event) -> routing.UnitInfo | None:
    ctx = routing.context(session)
    unit = ctx.units.get(event.unit_id)
    if unit is None:
        return None
    return next((u for u in ctx.chain(unit) if u.level == OrgLevel.community), None)


def consider(session: Session, event: Event) -> HotSpot | None:
    """Join the event to its community's open hot spot of its category, or form one when enough similar
    reports have come in. Idempotent: an event already in a hot spot changes nothing."""
    community = _community(session, event)
    if community is None or event.is_drill:
        return None
    since = event.received_at - WINDOW
    spot = session.scalars(
        select(HotSpot).where(
            HotSpot.unit_id == community.id,
            HotSpot.category_id == event.category_id,
            HotSpot.status == "open",
            HotSpot.last_at >= since,
        )
    ).first()
    text = event_text(event.title, event.description, event.address)
    if spot is not None:
        if event.id not in spot.event_ids:
            spot.event_ids = [*spot.event_ids, event.id]
            spot.last_at = max(spot.last_at, event.received_at)
        return spot
    peers = session.scalars(
        select(Event)
        .where(
            in_subtree(Event.unit_path, community.path),
            Event.category_id == event.category_id,
            Event.received_at >= since,
            Event.received_at <= event.received_at,
            Event.status.not_in([Status.voided]),
            Event.is_drill.is_(False),
            Event.id != event.id,
        )
        .order_by(Event.received_at)
        .limit(500)
    ).all()
    texts = {p.id: event_text(p.title, p.description, p.address) for p in peers}
    members = [p for p in peers if similarity(text, texts[p.id]) >= MIN_SIMILARITY]
    # One round of single-link growth: a report like one of the members is about the same thing too (the
    # worker may have answered it before this one arrived, so it would never join otherwise).
    rest = [p for p in peers if p not in members]
    members += [p for p in rest if any(similarity(texts[p.id], texts[m.id]) >= MIN_SIMILARITY for m in members)]
    members.sort(key=lambda p: (p.received_at, p.id))
    if len(members) + 1 < MIN_REPORTS:
        return None
    return _form(session, community, event, [*members, event])


def _form(session: Session, community: routing.UnitInfo, event: Event, members: list[Event]) -> HotSpot:
    cat = catalogue.view(session).by_id.get(event.category_id)
    name = cat.name if cat else ""
    text = (
        f"{community.name}{WINDOW.days}天内收到{len(members)}件相似的「{name}」反映（{event.title[:40]}），"
        "可能是群体性或反复发生的问题，请研判处置 / hot spot: similar reports in one community"
    )
    now = clock.now()
    spot = HotSpot(
        unit_id=community.id,
        unit_path=community.path,
        category_id=event.category_id,
        title=event.title[:200],
        event_ids=[m.id for m in members],
        first_at=members[0].received_at,
        last_at=event.received_at,
        status="open",
        prompt_text=text,
        prompted_at=now,
    )
    audit.add_new(session, AI, "ai.hotspot_prompt", spot, unit_id=community.id, category=cat.code if cat else None)
    outbox.add(session, "risk.prompt", source="ai.hotspot", hotspot_id=spot.id, unit_path=community.path, text=text)
    street = org.centre_units_on(session, community.path).get("street")
    if street is not None:  # the 风险提示 reaches the street centre's duty officers and leaders, in their inbox
        notify(
            session,
            unit_id=street.id,
            roles=["dispatcher", "leader"],
            kind="risk_prompt",
            title=f"风险提示：{community.name}热点问题「{name}」",
            body=text,
            subject=("event", event.id),
            drill=event.is_drill,
        )
    return spot


def list_hotspots(session: Session, actor: Actor, *, unit_path: str | None = None, limit: int = 20) -> list[HotSpot]:
    """Open hot spots in the actor's subtree (or the part of it under `unit_path`), the latest first."""
    stmt = select(HotSpot).where(HotSpot.status == "open", in_subtree(HotSpot.unit_path, actor.unit_path))
    if unit_path is not None:
        stmt = stmt.where(in_subtree(HotSpot.unit_path, unit_path))
    return list(session.scalars(stmt.order_by(HotSpot.last_at.desc()).limit(limit)))


def access_hotspot(session: Session, actor: Actor, spot_id: int) -> HotSpot:
    from cityops.core.errors import NotFound, one_or_raise

    stmt = select(HotSpot).where(HotSpot.id == spot_id, in_subtree(HotSpot.unit_path, actor.unit_path))
    return one_or_raise(session, stmt, NotFound("热点问题不存在 / hot spot not found", code="ai.hotspot_not_found"))


def events_of(session: Session, spot: HotSpot) -> list[Event]:
    ids = [int(i) for i in spot.event_ids or []]
    return list(session.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.received_at))) if ids else []
