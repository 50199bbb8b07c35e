"""The one door for every channel: validate, locate, de-duplicate, route, set the deadline, and write
the event, its timeline, the audit entry, the outbox row and the counters in one transaction.

It works on batches (a single report is a batch of one), so bulk imports and the simulator take the
same path as a citizen's report: org lookups, routing and deadlines come from in-memory views and
rows go in with one executemany per table.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.errors import CityOpsError, Invalid
from cityops.core.heap import collector_paused
from cityops.events import catalogue, routing
from cityops.events.calendar import load_calendar
from cityops.events.catalogue import CatalogueView, CategoryView
from cityops.events.intake_locate import locate
from cityops.events.intake_types import Candidate, IntakeItem, IntakeResult, fail
from cityops.events.intake_write import write_events
from cityops.events.models import Event, Severity, Source
from cityops.org import geo

__all__ = ["IntakeItem", "IntakeResult", "allowed_sources", "intake_many", "intake_one"]

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MAX_DESCRIPTION = 4000
BULK = 100  # from this many items a batch runs with the garbage collector paused (core.heap)
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


def allowed_sources(actor: Actor) -> frozenset[str]:
    if actor.is_system:
        return frozenset(Source)
    out: set[str] = set()
    for role in actor.roles:
        out |= SOURCES_BY_ROLE.get(role, frozenset())
    return frozenset(out)


def _validate(item: IntakeItem, cats: CatalogueView, sources: frozenset[str]) -> CategoryView:
    if item.source not in sources:
        raise Invalid(
            f"不允许的来源 / source {item.source!r} is not allowed for you", field="source", code="event.invalid_source"
        )
    cat = cats.category(item.category)
    if item.severity is not None and item.severity not in Severity.__members__:
        raise Invalid(
            "紧急程度须为 urgent、high 或 normal / severity must be urgent, high or normal",
            field="severity",
            code="event.invalid_severity",
        )
    description = (item.description or "").strip()
    if not description:
        raise Invalid("请描述问题 / description is required", field="description", code="event.invalid_description")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"描述不超过{MAX_DESCRIPTION}字 / description is too long",
            field="description",
            code="event.invalid_description",
        )
    if item.reporter_phone and not PHONE.match(item.reporter_phone.strip()):
        raise Invalid(
            "电话号码格式不正确 / reporter_phone is not a Chinese phone number",
            field="reporter_phone",
            code="event.invalid_reporter_phone",
        )
    if item.lon is None and item.lat is None and not item.address.strip() and not item.unit_code and not item.unit_id:
        raise Invalid(
            "请提供位置：坐标、地址或单位代码 / give lon/lat, an address or a unit_code",
            field="address",
            code="event.invalid_address",
        )
    if (item.lon is None) != (item.lat is None):
        raise Invalid(
            "经纬度须同时提供 / lon and lat go together",
            field="lat" if item.lat is None else "lon",
            code="event.invalid_lat",
        )
    if item.lon is not None and item.lat is not None:
        geo.check_point(item.lon, item.lat)
    for spec in cat.required_fields:
        value = item.attributes.get(spec["code"])
        if value is None or value == "":
            raise Invalid(
                f"缺少必填项「{spec['name']}」/ attribute {spec['code']} is required",
                field=f"attributes.{spec['code']}",
                code="event.attribute_required",
            )
        if spec.get("type") == "number":
            _check_number(spec, value)
    return cat


def _check_number(spec: dict[str, Any], value: Any) -> None:
    """A number field's value: finite ("nan", "inf" read as floats but are no amount), and within the
    field's bounds when the catalogue gives them (`min`, `max`, `integer`: 涉及人数 is a whole count)."""
    field, name = f"attributes.{spec['code']}", spec["name"]
    number = _number_of(value)
    if number is None:
        raise Invalid(
            f"「{name}」须为数字 / attribute {spec['code']} must be a number",
            field=field,
            code="event.attribute_not_a_number",
        )
    if spec.get("integer") is True and not (isinstance(number, int) or number.is_integer()):
        raise Invalid(
            f"「{name}」须为整数 / attribute {spec['code']} must be a whole number",
            field=field,
            code="event.attribute_out_of_range",
        )
    low, high = _number_of(spec.get("min")), _number_of(spec.get("max"))
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            zh, en = f"在{_zh_number(low)}至{_zh_number(high)}之间", f"within {_plain(low)}–{_plain(high)}"
        elif low is not None:
            zh, en = f"不小于{_zh_number(low)}", f"at least {_plain(low)}"
        else:
            assert high is not None  # one bound at least was crossed
            zh, en = f"不大于{_zh_number(high)}", f"at most {_plain(high)}"
        raise Invalid(
            f"「{name}」须{zh} / attribute {spec['code']} must be {en}",
            field=field,
            code="event.attribute_out_of_range",
        )


def _number_of(value: Any) -> int | float | None:
    """A number as given (an int however large), or read from its text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _plain(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


def _zh_number(value: float) -> str:
    """100000000000 as 1000亿, 1000000 as 100万: how a Chinese reader takes a bound in."""
    for unit, size in (("亿", 10**8), ("万", 10**4)):
        if abs(value) >= size and value % size == 0:
            return f"{_plain(value / size)}{unit}"
    return _plain(value)


def _validate_all(
    items: list[IntakeItem], results: list[IntakeResult], cats: CatalogueView, sources: frozenset[str]
) -> list[Candidate]:
    valid: list[Candidate] = []
    for i, item in enumerate(items):
        try:
            valid.append((i, item, _validate(item, cats, sources)))
        except CityOpsError as exc:
            results[i].error = fail(exc)
    return valid


def _existing_keys(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        for key, eid, ref in session.execute(
            select(Event.idempotency_key, Event.id, Event.ref).where(Event.idempotency_key.in_(chunk))
        ):
            found[str(key)] = (eid, ref)
    return found


def _dedupe(
    session: Session, valid: list[Candidate], results: list[IntakeResult]
) -> tuple[list[Candidate], list[tuple[int, int]]]:
    """Idempotency: a key seen before (or earlier in this batch) returns the original event. Returns the
    fresh items and (repeat index, first index) pairs to fill in at the end."""
    keys = [it.idempotency_key for _, it, _ in valid if it.idempotency_key]
    existing = _existing_keys(session, keys) if keys else {}
    fresh: list[Candidate] = []
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
    return fresh, repeats


def intake_many(session: Session, actor: Actor, items: list[IntakeItem], *, triage: bool = True) -> list[IntakeResult]:
    """Take in a batch; each item gets its event (new, or the original for a repeated idempotency key)
    or its error. With `triage`, an unlocatable report lands with the city centre instead of failing."""
    with collector_paused(len(items) >= BULK):
        cats = catalogue.view(session)
        ctx = routing.context(session)
        results = [IntakeResult(index=i) for i in range(len(items))]
        valid = _validate_all(items, results, cats, allowed_sources(actor))
        fresh, repeats = _dedupe(session, valid, results)
        located = locate(session, ctx, fresh, results, triage=triage)
        todo = [(i, it, cat) for i, it, cat in fresh if results[i].error is None and i in located]
        if todo:
            write_events(session, actor, ctx, todo, located, results)
        _fill_repeats(results, repeats)
    return results


def _fill_repeats(results: list[IntakeResult], repeats: list[tuple[int, int]]) -> None:
    for i, first in repeats:
        src = results[first]
        results[i].event_id, results[i].ref, results[i].error = src.event_id, src.ref, src.error


def warm_up(session: Session) -> None:
    """What a long-running process (a server, an ingest worker) builds once, before its first report rather
    than inside it: the geo resolver, the org tree for routing, the catalogue and the work calendar."""
    geo.resolve_many(session, [(106.55, 29.56, None)])
    routing.context(session)
    catalogue.view(session)
    load_calendar(session)


def intake_one(session: Session, actor: Actor, item: IntakeItem, *, triage: bool = True) -> IntakeResult:
    """A single report; raises its validation error (422) instead of returning it."""
    result = intake_many(session, actor, [item], triage=triage)[0]
    if result.error is not None:
        raise Invalid(f"{result.error['reason']}", field=result.error["field"], code="event.rejected")
    return result
