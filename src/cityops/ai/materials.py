"""What each summary is written from: an event and its timeline, a street's reports of one day, a hot spot
and its reports (texts are masked again by ai/summary.py before anything is sent)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.ai.hotspots import events_of
from cityops.ai.models import HotSpot
from cityops.core.actor import Actor
from cityops.events import catalogue
from cityops.events import service as events
from cityops.events.calendar import CST as CHINA
from cityops.events.flow import action_name
from cityops.events.models import STATUS_NAMES, Event
from cityops.org.models import OrgUnit
from cityops.org.service import in_subtree

_PLATFORM_ACTIONS = {"receive": "上报", "route": "分拨", "warn": "临期预警", "overdue": "超期", "merged_in": "并入"}


def _local(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%m-%d %H:%M")


def event_material(session: Session, event: Event) -> tuple[str, list[str]]:
    cat = catalogue.view(session).by_id.get(event.category_id)
    title = f"事件 {event.ref}（{cat.name if cat else ''}，{STATUS_NAMES.get(event.status, (event.status,))[0]}）"
    said = event.description if event.description.startswith(event.title) else f"{event.title}。{event.description}"
    lines = [f"{said.rstrip('。')}。地点：{event.address or '未填'}。"]
    for row in events.timeline(session, event):
        name = _PLATFORM_ACTIONS.get(row.action) or action_name(row.action)
        who = row.actor_unit or row.actor_name
        lines.append(f"{_local(row.at)} {who} {name}：{row.note or ''}".rstrip("：") + "。")
    return title, lines


def street_day_material(session: Session, actor: Actor, street: OrgUnit, day: date) -> tuple[str, list[str]]:
    start = datetime.combine(day, time(0), tzinfo=CHINA)
    stmt = (
        select(Event)
        .where(
            in_subtree(Event.unit_path, street.path),
            events.visible(actor),
            Event.received_at >= start,
            Event.received_at < start + timedelta(days=1),
        )
        .order_by(Event.received_at)
        .limit(300)
    )
    found = list(session.scalars(stmt))
    names = catalogue.view(session).by_id
    by_cat = Counter(names[e.category_id].name if e.category_id in names else "" for e in found)
    closed = sum(e.status == "closed" for e in found)
    lines = [
        f"{street.name}{day:%Y年%m月%d日}共受理{len(found)}件，已办结{closed}件。"
        + "；".join(f"{n}{c}件" for n, c in by_cat.most_common(5))
        + "。"
    ]
    lines += [f"{e.title}（{STATUS_NAMES.get(e.status, (e.status,))[0]}）。" for e in found[:40]]
    return f"{street.name} {day:%Y-%m-%d} 的一天", lines


def hotspot_material(session: Session, spot: HotSpot) -> tuple[str, list[str]]:
    unit = session.get(OrgUnit, spot.unit_id)
    lines = [spot.prompt_text]
    lines += [f"{_local(e.received_at)} {e.title}：{e.description}" for e in events_of(session, spot)[:30]]
    return f"热点问题：{unit.name if unit else ''} {spot.title}", lines
