"""Intake, phase 3: route each located report, set its first deadline and write the batch — events,
timeline, audit, outbox and counters — in a few set-based statements (the hot path of bulk intake,
measured by `cityops bench intake`). Columns not named here get their model defaults from `bulk_insert`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor
from cityops.core.db import JSONRaw, adopt, bulk_insert, dumps
from cityops.events import catalogue, metrics, routing, timeline
from cityops.events.calendar import WorkCalendar, load_calendar
from cityops.events.catalogue import CategoryView, stage_deadline
from cityops.events.flow import STAGE_OF
from cityops.events.intake_locate import Located
from cityops.events.intake_types import Candidate, IntakeItem, IntakeResult
from cityops.events.models import SOURCE_NAMES, Event, EventLog, Status


def _reserve_ids(session: Session, n: int) -> list[int]:
    """Event ids for a batch: a sequence on PostgreSQL; on SQLite the write lock is already held."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('event', 'id')) FROM generate_series(1, :n)"), {"n": n}
        )
        return [int(r[0]) for r in rows]
    top = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM event")).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + n))


@dataclass
class _Batch:
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    routes: list[routing.Route] = field(default_factory=list)
    messages: list[JSONRaw] = field(default_factory=list)


@dataclass
class _Planner:
    """Routes and deadlines are the same for many reports of a batch: computed once per key."""

    ctx: routing.RoutingContext
    cats: catalogue.CatalogueView
    cal: WorkCalendar
    routes: dict[tuple[int, int], routing.Route] = field(default_factory=dict)
    dues: dict[tuple[str, datetime], datetime] = field(default_factory=dict)
    received: dict[int, JSONRaw] = field(default_factory=dict)  # unit id -> the receive row's data
    routed: dict[tuple[str, int | None], JSONRaw] = field(default_factory=dict)  # owner -> the route row's data

    def route(self, cat: CategoryView, unit: routing.UnitInfo) -> routing.Route:
        key = (cat.id, unit.id)
        if key not in self.routes:
            self.routes[key] = routing.route(self.ctx, self.cats, cat, unit)
        return self.routes[key]

    def received_data(self, unit: routing.UnitInfo) -> JSONRaw:
        found = self.received.get(unit.id)
        if found is None:
            found = self.received[unit.id] = JSONRaw(dumps({"unit_id": unit.id}))
        return found

    def routed_data(self, route: routing.Route) -> JSONRaw:
        key = (route.owner_name, route.owner_department_id)
        found = self.routed.get(key)
        if found is None:
            found = self.routed[key] = JSONRaw(dumps({"owner": key[0], "department_id": key[1]}))
        return found


def write_events(
    session: Session,
    actor: Actor,
    ctx: routing.RoutingContext,
    todo: list[Candidate],
    located: Located,
    results: list[IntakeResult],
) -> None:
    now = clock.now()
    planner = _Planner(ctx, catalogue.view(session), load_calendar(session))
    batch = _Batch()
    received: Counter[tuple[str, datetime, int]] = Counter()
    for (i, item, cat), event_id in zip(todo, _reserve_ids(session, len(todo)), strict=True):
        unit, locate_reason = located[i]
        row = _event_row(planner, event_id, item, cat, unit, locate_reason, item.received_at or now)
        _add_side_rows(batch, actor, planner, row, item, cat, unit)
        received[unit.path, row["received_at"], cat.id] += 1
        results[i].event_id, results[i].ref, results[i].created = event_id, row["ref"], True
    # The counters move exactly as one create each would move them: deltas are sums, summed per key first.
    opened: Counter[str] = Counter()
    for (path, at, category_id), n in received.items():
        metrics.count(session, path, at, category_id, received=n)
        opened[path] += n
    for path, n in opened.items():
        metrics.gauge(session, path, open=n)
    bulk_insert(session, Event, batch.events)
    if len(batch.events) == 1:  # a single report answers with its event: no need to read it back
        results[todo[0][0]].event = adopt(session, Event, batch.events[0])
    bulk_insert(session, EventLog, batch.logs)
    _record_audit(session, actor, batch, todo)
    outbox.add_many(session, "event.received", batch.messages)


def _record_audit(session: Session, actor: Actor, batch: _Batch, todo: list[Candidate]) -> None:
    """One report, one entry naming it; a batch (an import, a simulator's day), one entry naming every
    event it made — as the bulk closer does — so an import of a million rows does not add a million
    entries to the chain. Each event's own timeline still says who took it in."""
    if len(batch.events) == 1:
        row, (_, item, cat) = batch.events[0], todo[0]
        route = batch.routes[0]
        entry = audit.entry(
            actor,
            "event.received",
            ("event", row["id"]),
            at=row["received_at"],
            ref=row["ref"],
            source=item.source,
            category=cat.code,
            unit_id=row["unit_id"],
            owner=route.owner_name,
        )
        audit.record_many(session, [entry])
        return
    ids = [r["id"] for r in batch.events]
    contiguous = ids == list(range(ids[0], ids[0] + len(ids)))
    audit.record(
        session,
        actor,
        "event.received_in_bulk",
        None,
        count=len(ids),
        first=ids[0],
        last=ids[-1],
        ids=None if contiguous else ids,
        sources=dict(Counter(item.source for _, item, _ in todo)),
    )


def _event_row(
    planner: _Planner,
    event_id: int,
    item: IntakeItem,
    cat: CategoryView,
    unit: routing.UnitInfo,
    locate_reason: str,
    at: datetime,
) -> dict[str, Any]:
    route = planner.route(cat, unit)
    severity = item.severity or cat.default_severity
    stage = STAGE_OF[Status.reported]
    due, warn = stage_deadline(cat, severity, stage, at, planner.cal, planner.dues)
    description = item.description.strip()
    return {
        "id": event_id,
        "ref": f"CQ{metrics.local_day(at):%Y%m%d}{event_id:07d}",
        "idempotency_key": item.idempotency_key,
        "source": item.source,
        "category_id": cat.id,
        "severity": severity,
        "title": (item.title.strip() or description[:40])[:200],
        "description": description,
        "address": item.address.strip()[:300],
        "lon": item.lon,
        "lat": item.lat,
        "unit_id": unit.id,
        "unit_path": unit.path,
        "locate_reason": locate_reason[:300],
        "owner_unit_id": route.owner_unit_id,
        "owner_path": route.owner_path,
        "owner_department_id": route.owner_department_id,
        "dispatcher_unit_id": route.dispatcher_unit_id,
        "route_reason": route.reason[:400],
        "status": Status.reported,
        "stage": stage,
        "stage_seq": 1,
        "stage_started_at": at,
        "due_at": due,
        "warn_at": warn,
        "reporter_user_id": item.reporter_user_id,
        "reporter_name": item.reporter_name.strip()[:40],
        "reporter_phone": item.reporter_phone.strip()[:20],
        "attributes": item.attributes,
        "attachments": item.attachments,
        "received_at": at,
        "is_drill": item.is_drill,
    }


def _add_side_rows(
    batch: _Batch,
    actor: Actor,
    planner: _Planner,
    row: dict[str, Any],
    item: IntakeItem,
    cat: CategoryView,
    unit: routing.UnitInfo,
) -> None:
    """The new event's row, its two timeline rows (received, routed), its route (for the audit) and its message.
    The timeline rows carry every key `timeline.row` gives, built here directly (the hot path)."""
    event_id, at, ref = row["id"], row["received_at"], row["ref"]
    route = planner.route(cat, unit)
    batch.events.append(row)
    received = f"受理渠道 {SOURCE_NAMES.get(item.source, (item.source,))[0]}；{row['locate_reason']}"
    batch.logs.append(
        {
            "event_id": event_id,
            "at": at,
            "action": "receive",
            "actor_id": actor.user_id,
            "actor_name": actor.username,
            "actor_unit": "",
            "from_status": None,
            "to_status": Status.reported,
            "note": received,
            "data": planner.received_data(unit),
            "public": True,
        }
    )
    batch.logs.append(
        {
            "event_id": event_id,
            "at": at,
            "action": "route",
            "actor_id": None,
            "actor_name": timeline.PLATFORM,
            "actor_unit": planner.ctx.unit(route.dispatcher_unit_id).name,
            "from_status": None,
            "to_status": None,
            "note": route.reason,
            "data": planner.routed_data(route),
            "public": True,
        }
    )
    batch.routes.append(route)
    # Subscribers read the event itself; the message names it (the text `dumps` would give, built directly).
    batch.messages.append(JSONRaw(f'{{"event_id": {event_id}, "ref": "{ref}"}}'))
