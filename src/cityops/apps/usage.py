"""贯通实战, derived: an application is connected when, within the period, it was in real use at the city,
at a district and at a street. Use in a unit means that unit's centre or departments worked with the app's
content: an event of one of the app's categories (its own, or those its device types and plans name) owned
or dispatched by that unit, or a non-zero value of one of the app's indicators computed for that unit.
Where an event merely happened does not count (every event happens in a street); who handled it does.
See docs/bundles.md#the-ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from cityops.apps.models import App, AppStatusLog, BundleItem
from cityops.core import audit, clock
from cityops.core.actor import Actor, system_actor
from cityops.events.models import Category, Event
from cityops.indicators.models import Indicator, IndicatorValue
from cityops.org.models import OrgUnit

PERIOD = timedelta(days=30)
LEVELS = ("city", "district", "street")


@dataclass
class LevelUse:
    level: str
    units: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # unit id -> (name, path, uses)

    @property
    def count(self) -> int:
        return sum(n for _, _, n in self.units.values())


@dataclass
class Usage:
    since: datetime
    until: datetime
    levels: dict[str, LevelUse]

    @property
    def connected(self) -> bool:
        return all(self.levels[lvl].units for lvl in LEVELS)

    def missing(self) -> list[str]:
        return [lvl for lvl in LEVELS if not self.levels[lvl].units]


def _content(session: Session, app: App, kind: str) -> list[str]:
    return list(
        session.scalars(select(BundleItem.item_key).where(BundleItem.bundle_key == app.code, BundleItem.kind == kind))
    )


def categories_of(session: Session, app: App) -> list[str]:
    """The event categories that are the app's work: its own, those its device types' alarms open and
    those its plans start on (危岩地灾's sensors open 危岩崩塌 events of 民呼我为's catalogue)."""
    codes = set(_content(session, app, "categories"))
    rows = session.execute(
        select(BundleItem.kind, BundleItem.content).where(
            BundleItem.bundle_key == app.code, BundleItem.kind.in_(("device_types", "plans"))
        )
    ).all()
    for kind, content in rows:
        if kind == "device_types" and content.get("category_code"):
            codes.add(str(content["category_code"]))
        elif kind == "plans":
            codes |= {str(c) for c in (content.get("trigger") or {}).get("categories") or []}
    return sorted(codes)


def _add(usage: Usage, unit: OrgUnit, n: int) -> None:
    if unit.level in usage.levels:
        name, path, seen = usage.levels[unit.level].units.get(unit.id, (unit.name, unit.path, 0))
        usage.levels[unit.level].units[unit.id] = (name, path, seen + n)


def usage(session: Session, app: App, *, since: datetime | None = None, until: datetime | None = None) -> Usage:
    until = until or clock.now()
    since = since or until - PERIOD
    result = Usage(since, until, {lvl: LevelUse(lvl) for lvl in LEVELS})
    codes = categories_of(session, app)
    if codes:
        cats = select(Category.id).where(Category.code.in_(codes))
        window = (Event.category_id.in_(cats), Event.received_at >= since, Event.received_at < until)
        # An event owned and dispatched by the same centre is one use of it, not two.
        pairs = union(
            select(Event.id.label("event_id"), Event.owner_unit_id.label("unit_id")).where(*window),
            select(Event.id.label("event_id"), Event.dispatcher_unit_id.label("unit_id")).where(*window),
        ).subquery()
        rows = session.execute(
            select(OrgUnit, func.count(pairs.c.event_id))
            .join(pairs, pairs.c.unit_id == OrgUnit.id)
            .group_by(OrgUnit.id)
        ).all()
        for unit, n in rows:
            _add(result, unit, int(n))
    kpis = _content(session, app, "indicators")
    if kpis:
        rows = session.execute(
            select(OrgUnit, func.count(IndicatorValue.id))
            .join(IndicatorValue, IndicatorValue.unit_id == OrgUnit.id)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .where(
                Indicator.code.in_(kpis),
                IndicatorValue.computed_at >= since,
                IndicatorValue.computed_at < until,
                IndicatorValue.value.is_not(None),
                or_(IndicatorValue.value > 0, IndicatorValue.value < 0),
            )
            .group_by(OrgUnit.id)
        ).all()
        for unit, n in rows:
            _add(result, unit, int(n))
    return result


def derive(session: Session, now: datetime, actor: Actor | None = None) -> list[tuple[str, str]]:
    """The periodic job: a launched app in use at three levels becomes 贯通实战, a connected one that is no
    longer goes back to 上线, each with the reason in its history. Returns (app code, new status)."""
    actor = actor or system_actor("system:apps")
    moved = []
    for app in session.scalars(select(App).where(App.status.in_(("launched", "connected")))):
        use = usage(session, app, until=now)
        if app.status == "launched" and use.connected:
            counts = "、".join(f"{lvl} {use.levels[lvl].count}" for lvl in LEVELS)
            _set(session, actor, app, "connected", f"近30天三级均有使用（{counts}），系统认定贯通实战")
            moved.append((app.code, "connected"))
        elif app.status == "connected" and not use.connected:
            _set(session, actor, app, "launched", f"近30天{'、'.join(use.missing())}级无使用，退回上线")
            moved.append((app.code, "launched"))
    return moved


def _set(session: Session, actor: Actor, app: App, status: str, reason: str) -> None:
    now = clock.now()
    session.add(
        AppStatusLog(
            app_id=app.id, at=now, actor=actor.username, from_status=app.status, to_status=status, reason=reason
        )
    )
    audit.record(session, actor, "apps.status_derived", app, from_status=app.status, to_status=status, reason=reason)
    app.status, app.updated_at = status, now
    session.flush()
