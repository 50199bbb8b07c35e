"""The one door for every channel: validate, locate, de-duplicate, route, set the deadline, and write
the event, its timeline, the audit entry, the outbox row and the counters in one transaction.

It works on batches (a single report is a batch of one), so bulk imports and the simulator take the
same path as a citizen's report: org lookups, routing and deadlines come from in-memory views and
rows go in with one executemany per table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role
from cityops.core.db import bulk_insert
from cityops.core.errors import CityOpsError, Invalid
from cityops.events import catalogue, metrics, routing
from cityops.events.calendar import WorkCalendar, load_calendar, parse_duration
from cityops.events.catalogue import CatalogueView, CategoryView
from cityops.events.flow import STAGE_OF
from cityops.events.models import SOURCE_NAMES, Event, EventLog, Severity, Source, Status
from cityops.org import geo
from cityops.org.models import OrgUnit

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MAX_DESCRIPTION = 4000
DEFAULT_DEADLINES = {"accept": "2h", "sign": "4h", "handle": "3wd", "verify": "1wd"}
# Which sources each kind of actor may claim; the platform itself (sensors, imports) may claim any.
SOURCES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.citizen: frozenset({Source.citizen, Source.open311}),
    Role.grid_worker: frozenset({Source.grid_worker, Source.patrol, Source.emergency}),
    Role.handler: frozenset({Source.department, Source.patrol, Source.emergency}),
    Role.dispatcher: frozenset(
        {
            Source.citizen,
            Source.department,
            Source.patrol,
            Source.emergency,
            Source.import_,
            Source.grid_worker,
            Source.open311,
        }
    ),
    Role.leader: frozenset({Source.department, Source.emergency}),
}


@dataclass
class IntakeItem:
    category: str
    description: str
    source: str = Source.citizen
    title: str = ""
    severity: str | None = None
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    unit_code: str | None = None  # an explicit location unit, e.g. the grid worker's own grid
    unit_id: int | None = None  # the same by id (sensors know their unit)
    related_unit_codes: list[str] = field(default_factory=list)  # a matter spanning several units
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_user_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    idempotency_key: str | None = None
    received_at: datetime | None = None  # imports and replays keep their original time
    is_drill: bool = False


@dataclass
class IntakeResult:
    index: int
    event_id: int | None = None
    ref: str | None = None
    created: bool = False
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(exc: CityOpsError) -> dict[str, Any]:
    return {"error": exc.name, "field": str(exc.data.get("field", "")), "reason": exc.detail}


def allowed_sources(actor: Actor) -> frozenset[str]:
    if actor.is_system:
        return frozenset(Source)
    out: set[str] = set()
    for role in actor.roles:
        out |= SOURCES_BY_ROLE.get(role, frozenset())
    return frozenset(out)


def _validate(item: IntakeItem, cats: CatalogueView, sources: frozenset[str]) -> CategoryView:
    if item.source not in sources:
        raise Invalid(f"不允许的来源 / source {item.source!r} is not allowed for you", field="source")
    cat = cats.category(item.category)
    if item.severity is not None and item.severity not in Severity.__members__:
        raise Invalid("紧急程度须为 urgent、high 或 normal / severity must be urgent, high or normal", field="severity")
    description = (item.description or "").strip()
    if not description:
        raise Invalid("请描述问题 / description is required", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"描述不超过{MAX_DESCRIPTION}字 / description is too long", field="description")
    if item.reporter_phone and not PHONE.match(item.reporter_phone.strip()):
        raise Invalid("电话号码格式不正确 / reporter_phone is not a Chinese phone number", field="reporter_phone")
    if item.lon is None and item.lat is None and not item.address.strip() and not item.unit_code and not item.unit_id:
        raise Invalid("请提供位置：坐标、地址或单位代码 / give lon/lat, an address or a unit_code", field="address")
    if (item.lon is None) != (item.lat is None):
        raise Invalid("经纬度须同时提供 / lon and lat go together", field="lat" if item.lat is None else "lon")
    if item.lon is not None and item.lat is not None:
        geo.check_point(item.lon, item.lat)
    for spec in cat.required_fields:
        value = item.attributes.get(spec["code"])
        if value is None or value == "":
            raise Invalid(
                f"缺少必填项「{spec['name']}」/ attribute {spec['code']} is required",
                field=f"attributes.{spec['code']}",
            )
        if spec.get("type") == "number" and not isinstance(value, int | float):
            try:
                float(str(value))
            except ValueError:
                raise Invalid(
                    f"「{spec['name']}」须为数字 / attribute {spec['code']} must be a number",
                    field=f"attributes.{spec['code']}",
                ) from None
    return cat


def stage_deadline(
    cat: CategoryView,
    severity: str,
    stage: str | None,
    start: datetime,
    cal: WorkCalendar,
    memo: dict[tuple[str, datetime], datetime] | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(due_at, warn_at at 80% of the allowed time) for a stage starting at `start`."""
    if stage is None:
        return None, None
    spec = (cat.deadlines.get(severity) or {}).get(stage) or DEFAULT_DEADLINES[stage]
    key = (spec, start)
    due = memo.get(key) if memo is not None else None
    if due is None:
        due = cal.add(start, parse_duration(spec))
        if memo is not None:
            memo[key] = due
    return due, start + (due - start) * 0.8


def _reserve_ids(session: Session, n: int) -> list[int]:
    """Event ids for a batch: a sequence on PostgreSQL; on SQLite the write lock is already held."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('event', 'id')) FROM generate_series(1, :n)"), {"n": n}
        )
        return [int(r[0]) for r in rows]
    top = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM event")).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + n))


def _existing_keys(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        for key, eid, ref in session.execute(
            select(Event.idempotency_key, Event.id, Event.ref).where(Event.idempotency_key.in_(chunk))
        ):
            found[str(key)] = (eid, ref)
    return found


def _unit_ids_for_codes(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(OrgUnit.code, OrgUnit.id).where(OrgUnit.code.in_(codes), OrgUnit.valid_to.is_(None))
        ).all()
    )


def intake_many(session: Session, actor: Actor, items: list[IntakeItem], *, triage: bool = True) -> list[IntakeResult]:
    """Take in a batch; each item gets its event (new, or the original for a repeated idempotency key)
    or its error. With `triage`, an unlocatable report lands with the city centre instead of failing."""
    now = clock.now()
    cats = catalogue.view(session)
    ctx = routing.context(session)
    cal = load_calendar(session)
    sources = allowed_sources(actor)
    results = [IntakeResult(index=i) for i in range(len(items))]
    valid: list[tuple[int, IntakeItem, CategoryView]] = []
    for i, item in enumerate(items):
        try:
            valid.append((i, item, _validate(item, cats, sources)))
        except CityOpsError as exc:
            results[i].error = _fail(exc)

    # Idempotency: a key seen before (or earlier in this batch) returns the original event.
    keys = [it.idempotency_key for _, it, _ in valid if it.idempotency_key]
    existing = _existing_keys(session, keys) if keys else {}
    fresh: list[tuple[int, IntakeItem, CategoryView]] = []
    first_in_batch: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for i, item, cat in valid:
        key = item.idempotency_key
        if key and key in existing:
            results[i].event_id, results[i].ref = existing[key]
        elif key and key in first_in_batch:
            repeats.append((i, first_in_batch[key]))
        else:
            if key:
                first_in_batch[key] = i
            fresh.append((i, item, cat))

    # Location: explicit unit codes, then one batched geo resolution for points and addresses.
    codes = {it.unit_code for _, it, _ in fresh if it.unit_code} | {
        c for _, it, _ in fresh for c in it.related_unit_codes
    }
    unit_ids = _unit_ids_for_codes(session, codes)
    to_resolve = [(i, it) for i, it, _ in fresh if not it.unit_code and not it.unit_id]
    resolved = geo.resolve_many(
        session, [(it.lon, it.lat, it.address or None) for _, it in to_resolve], fallback=triage
    )
    located: dict[int, tuple[routing.UnitInfo, str]] = {}
    for (i, _), res in zip(to_resolve, resolved, strict=True):
        if isinstance(res, CityOpsError):
            results[i].error = _fail(res)
        elif res.unit_id in ctx.units:
            located[i] = (ctx.unit(res.unit_id), f"{res.reason}（置信度 {res.confidence:.2f}）")
    for i, it, _ in fresh:
        if it.unit_id:
            if it.unit_id not in ctx.units:
                results[i].error = {"error": "Invalid", "field": "unit_id", "reason": "未知单位 / unknown unit_id"}
            else:
                located[i] = (ctx.unit(it.unit_id), "按设备所属单位定位 / located by the device's unit")
        elif it.unit_code:
            uid = unit_ids.get(it.unit_code)
            if uid is None or uid not in ctx.units:
                results[i].error = {
                    "error": "Invalid",
                    "field": "unit_code",
                    "reason": "未知单位代码 / unknown unit_code",
                }
            else:
                located[i] = (ctx.unit(uid), f"按上报单位定位 / located by unit code {it.unit_code}")
        if i in located and it.related_unit_codes:
            bad = [c for c in it.related_unit_codes if c not in unit_ids]
            if bad:
                results[i].error = {
                    "error": "Invalid",
                    "field": "related_unit_codes",
                    "reason": f"未知单位代码 / unknown unit code {bad[0]}",
                }
                continue
            spanning = [located[i][0], *(ctx.unit(unit_ids[c]) for c in it.related_unit_codes)]
            common = ctx.lowest_common(spanning)
            located[i] = (
                common,
                f"跨{len(spanning)}个单位，交共同上级{common.name} / spans units: lowest common unit {common.name}",
            )
    todo = [(i, it, cat) for i, it, cat in fresh if results[i].error is None and i in located]
    if not todo:
        _fill_repeats(results, repeats)
        return results

    ids = _reserve_ids(session, len(todo))
    memo_route: dict[tuple[int, int], routing.Route] = {}
    memo_due: dict[tuple[str, datetime], datetime] = {}
    events, logs, entries, messages = [], [], [], []
    for (i, item, cat), event_id in zip(todo, ids, strict=True):
        unit, locate_reason = located[i]
        route = memo_route.get((cat.id, unit.id))
        if route is None:
            route = memo_route[(cat.id, unit.id)] = routing.route(ctx, cats, cat, unit)
        at = item.received_at or now
        severity = item.severity or cat.default_severity
        stage = STAGE_OF[Status.reported]
        due, warn = stage_deadline(cat, severity, stage, at, cal, memo_due)
        ref = f"CQ{metrics.local_day(at):%Y%m%d}{event_id:07d}"
        description = item.description.strip()
        dispatcher = ctx.unit(route.dispatcher_unit_id)
        events.append(
            {
                "id": event_id,
                "ref": ref,
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
                "dispatcher_unit_id": dispatcher.id,
                "route_reason": route.reason[:400],
                "status": Status.reported,
                "status_before_suspend": None,
                "suspended_at": None,
                "version": 1,
                "stage": stage,
                "stage_seq": 1,
                "stage_started_at": at,
                "due_at": due,
                "warn_at": warn,
                "warned": False,
                "overdue": False,
                "ever_overdue": False,
                "escalation_level": 0,
                "supervised_by_unit_id": None,
                "extension_requested": None,
                "return_count": 0,
                "reopen_count": 0,
                "merged_into_id": None,
                "reporter_user_id": item.reporter_user_id,
                "reporter_name": item.reporter_name.strip()[:40],
                "reporter_phone": item.reporter_phone.strip()[:20],
                "attributes": item.attributes,
                "attachments": item.attachments,
                "received_at": at,
                "closed_at": None,
                "rating": None,
                "rated_at": None,
                "needs_review": False,
                "is_drill": item.is_drill,
            }
        )
        logs.append(
            {
                "event_id": event_id,
                "at": at,
                "action": "receive",
                "actor_id": actor.user_id,
                "actor_name": actor.username,
                "actor_unit": "",
                "from_status": None,
                "to_status": Status.reported,
                "note": f"受理渠道 {SOURCE_NAMES.get(item.source, (item.source,))[0]}；{locate_reason}",
                "data": {"unit_id": unit.id},
                "public": True,
            }
        )
        logs.append(
            {
                "event_id": event_id,
                "at": at,
                "action": "route",
                "actor_id": None,
                "actor_name": "system",
                "actor_unit": dispatcher.name,
                "from_status": None,
                "to_status": None,
                "note": route.reason,
                "data": {"owner": route.owner_name, "department_id": route.owner_department_id},
                "public": True,
            }
        )
        entries.append(
            audit.entry(
                actor,
                "event.received",
                ("event", event_id),
                at=at,
                ref=ref,
                source=item.source,
                category=cat.code,
                unit_id=unit.id,
                owner=route.owner_name,
            )
        )
        messages.append(
            {
                "event_id": event_id,
                "ref": ref,
                "unit_path": unit.path,
                "category": cat.name,
                "severity": severity,
                "title": events[-1]["title"],
                "drill": item.is_drill,
            }
        )
        metrics.count(session, unit.path, at, cat.id, received=1)
        metrics.gauge(session, unit.path, open=1)
        results[i].event_id, results[i].ref, results[i].created = event_id, ref, True

    bulk_insert(session, Event, events)
    bulk_insert(session, EventLog, logs)
    audit.record_many(session, entries)
    outbox.add_many(session, "event.received", messages)
    _fill_repeats(results, repeats)
    return results


def _fill_repeats(results: list[IntakeResult], repeats: list[tuple[int, int]]) -> None:
    for i, first in repeats:
        src = results[first]
        results[i].event_id, results[i].ref, results[i].error = src.event_id, src.ref, src.error


def intake_one(session: Session, actor: Actor, item: IntakeItem, *, triage: bool = True) -> IntakeResult:
    """A single report; raises its validation error (422) instead of returning it."""
    result = intake_many(session, actor, [item], triage=triage)[0]
    if result.error is not None:
        raise Invalid(f"{result.error['reason']}", field=result.error["field"])
    return result
