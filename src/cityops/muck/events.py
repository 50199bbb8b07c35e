"""A violation becomes one event through the events intake, located at where it happened (so routing gives
the 城市管理 of that district), carrying the truck, the nearest site and the track for the event map."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cityops.core.actor import system_actor
from cityops.events.calendar import CST
from cityops.muck.defaults import KIND_CATEGORY, KIND_NAME
from cityops.muck.models import MuckSite, Truck, Violation

SITE_KIND = {"construction": "工地", "disposal": "消纳场"}


def describe(truck: Truck, v: Violation, site: MuckSite | None) -> str:
    when = v.at.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    parts = [f"渣土车 {truck.plate}（{truck.company or '运输单位未登记'}）{when} {KIND_NAME[v.kind]}"]
    if v.kind == "dumping" and v.minutes is not None:
        parts.append(f"在任何核准场地之外停留 {v.minutes:.0f} 分钟")
    if site is not None and v.site_distance_m is not None:
        parts.append(f"最近场地：{SITE_KIND.get(site.kind, '')}「{site.name}」，相距约 {v.site_distance_m:.0f} 米")
    parts.append(f"位置 ({v.lon:.5f}, {v.lat:.5f})，轨迹 {len(v.track)} 个定位点")
    return "；".join(parts) + "。"


def open_event(session: Session, truck: Truck, v: Violation, site: MuckSite | None) -> int:
    from cityops.events.intake import IntakeItem, intake_one
    from cityops.events.models import Source

    result = intake_one(
        session,
        system_actor("system:muck"),
        IntakeItem(
            category=KIND_CATEGORY[v.kind],
            title=f"{KIND_NAME[v.kind]}：{truck.plate}"[:200],
            description=describe(truck, v, site),
            source=Source.sensor,
            lon=v.lon,
            lat=v.lat,
            attributes={
                "muck_violation": v.id,
                "muck_kind": v.kind,
                "truck": truck.plate,
                "site": site.name if site else None,
                "site_distance_m": v.site_distance_m,
                # the event page draws this as the track on its map
                "track": [[p[0], p[1]] for p in v.track],
            },
            idempotency_key=f"muck-{v.id}",
            is_drill=truck.is_demo,
        ),
        triage=True,
    )
    assert result.event_id is not None
    v.event_id = result.event_id
    from cityops.events.models import Event

    event = session.get(Event, result.event_id)
    v.unit_path = event.unit_path if event is not None else ""
    return result.event_id
