"""Incremental metrics: services add deltas, which are summed per transaction and upserted just before
COMMIT. Figures for any unit's subtree are then sums over a few counter rows, never a scan of events.

Counters are kept for each centre unit above an event's location (city, district, street), per local
day and category; gauges hold the current open and overdue counts per unit.

No hot rows: every create used to update the city's counter row for today, so on PostgreSQL concurrent
writers queued on that one row lock. Each key is now split into shards; a transaction adds all its deltas
to one shard picked at random (`Settings.counter_shards`, 8 on PostgreSQL), and readers sum the shards.
Figures stay exact (a sum of deltas is order-free) and reads touch a few more rows, not more events.
On PostgreSQL the shard is not left to chance: a committing transaction claims one no other committing
transaction holds (`pg_try_advisory_xact_lock`, released at its commit, the same moment as its counter
row locks), so writers wait on each other's counter rows only when every shard is mid-commit at once.

Every delta is also added to the key's category-less total (`ALL_CATEGORIES`, category id 0, which no
category has), so a unit's figures over all categories — the cockpit's, the trend's — sum one row per day
and shard instead of one per category: on PostgreSQL today's 8 shards × every category made the city's
summary sum ≈ 11,000 rows. The per-category rows still answer "by category" and a category filter.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from cityops.core.db import bulk_insert
from cityops.core.hooks import Hooks, hooks_of
from cityops.events.calendar import CST
from cityops.events.models import DepartmentStat, EventGauge, EventStat

_STATS, _GAUGES, _DEPTS = "metrics_stats", "metrics_gauges", "metrics_depts"
STAT_FIELDS = (
    "received",
    "closed",
    "closed_on_time",
    "handling_seconds",
    "returned",
    "went_overdue",
    "rated",
    "satisfied",
    "checked",
    "reworked",
)
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
ALL_CATEGORIES = 0  # the category id of a key's total over every category (no category has id 0)


def centre_units(path: str) -> list[int]:
    """City, district and street ids above (and including) a location."""
    return [int(p) for p in path.strip("/").split("/") if p][:3]


def local_day(at: datetime) -> date:
    return at.astimezone(CST).date()


def count(session: Session, path: str, at: datetime, category_id: int, **deltas: float) -> None:
    acc: dict[tuple[int, date, int], dict[str, float]] = session.info.setdefault(_STATS, {})
    day = local_day(at)
    for unit_id in centre_units(path):
        for key in ((unit_id, day, category_id), (unit_id, day, ALL_CATEGORIES)):
            row = acc.setdefault(key, defaultdict(float))
            for name, value in deltas.items():
                row[name] += value


def gauge(session: Session, path: str, *, open: int = 0, overdue: int = 0) -> None:
    acc: dict[int, list[int]] = session.info.setdefault(_GAUGES, {})
    for unit_id in centre_units(path):
        row = acc.setdefault(unit_id, [0, 0])
        row[0] += open
        row[1] += overdue


def count_department(session: Session, department_id: int | None, at: datetime, **deltas: int) -> None:
    if department_id is None:
        return
    acc: dict[tuple[int, date], dict[str, int]] = session.info.setdefault(_DEPTS, {})
    row = acc.setdefault((department_id, local_day(at)), defaultdict(int))
    for name, value in deltas.items():
        row[name] += value


def upsert(session: Session, model: Any, keys: list[str], rows: list[dict[str, Any]], fields: list[str]) -> None:
    """Add `fields` of each row to the row with the same keys (insert it when missing): one executemany of
    INSERT … ON CONFLICT DO UPDATE (same text on SQLite and PostgreSQL), without the ORM's per-row work."""
    if not rows:
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    table = quote(model.__table__.name)
    sets = ", ".join(f"{quote(f)} = {table}.{quote(f)} + excluded.{quote(f)}" for f in fields)
    suffix = f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {sets}"
    rows.sort(key=itemgetter(*keys))  # a fixed order: concurrent upserts cannot deadlock
    bulk_insert(session, model, rows, suffix=suffix)


_SHARD_PICK = random.Random()  # noqa: S311  (spreads writers over shards; nothing secret depends on it)


def shard_count(session: Session) -> int:
    configured = hooks_of(session).settings.counter_shards
    if configured:
        return configured
    return 8 if session.get_bind().dialect.name == "postgresql" else 1


# The advisory-lock key space of counter shards (an arbitrary constant no other lock in cityops uses).
_SHARD_LOCKS = 0x636E7472
# Without ORDER BY the scan yields the array in order and LIMIT stops at the first lock taken, so one
# shard is locked (the lock is only a hint to spread writers: figures never depend on it).
_CLAIM_SHARD = text(
    "SELECT s FROM unnest(CAST(:order AS integer[])) AS s WHERE pg_try_advisory_xact_lock(:space, s) LIMIT 1"
)


def pick_shard(session: Session) -> int:
    """The shard this transaction adds its deltas to: on PostgreSQL one no other committing transaction
    holds (tried in a random order, so idle shards share the load); when all are held, or on SQLite
    (whose writers take turns anyway), one at random."""
    order = list(range(shard_count(session)))
    _SHARD_PICK.shuffle(order)
    if len(order) > 1 and session.get_bind().dialect.name == "postgresql":
        claimed = session.execute(_CLAIM_SHARD, {"order": order, "space": _SHARD_LOCKS}).scalar()
        if claimed is not None:
            return int(claimed)
    return order[0]


def flush(session: Session) -> None:
    stats = session.info.pop(_STATS, None)
    gauges = session.info.pop(_GAUGES, None)
    depts = session.info.pop(_DEPTS, None)
    if not (stats or gauges or depts):
        return
    shard = pick_shard(session)
    if stats:
        # One upsert per set of fields that moved (a bulk intake moves only `received`): rows carry and
        # update just those; the other columns start at their default 0.
        by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for (u, d, c), vals in stats.items():
            by_fields[tuple(sorted(vals))].append({"unit_id": u, "day": d, "category_id": c, "shard": shard, **vals})
        for moved, stat_rows in by_fields.items():
            upsert(session, EventStat, ["unit_id", "day", "category_id", "shard"], stat_rows, list(moved))
    if gauges:
        rows = [{"unit_id": u, "shard": shard, "open": o, "overdue": v} for u, (o, v) in gauges.items() if o or v]
        upsert(session, EventGauge, ["unit_id", "shard"], rows, ["open", "overdue"])
    if depts:
        fields = ["assigned", "closed", "closed_on_time", "returned"]
        rows = [
            {"department_id": d, "day": day, "shard": shard, **{f: 0 for f in fields}, **vals}
            for (d, day), vals in depts.items()
        ]
        upsert(session, DepartmentStat, ["department_id", "day", "shard"], rows, fields)


def _discard(session: Session) -> None:
    for key in (_STATS, _GAUGES, _DEPTS):
        session.info.pop(key, None)


def install(hooks: Hooks) -> None:
    """Fold each transaction's counter deltas into the counter rows just before it commits."""
    hooks.on_commit("events.counters", flush, _discard, pending=(_STATS, _GAUGES, _DEPTS))


# -- reading -------------------------------------------------------------------------------------------
@dataclass
class Figures:
    """Raw counts for a unit's subtree over some local days, plus its current gauges. The KPIs computed
    from them are defined once, in cityops.events.kpis."""

    received: int = 0
    closed: int = 0
    closed_on_time: int = 0
    handling_seconds: float = 0
    returned: int = 0
    went_overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    checked: int = 0
    reworked: int = 0
    open: int = 0
    overdue: int = 0

    def kpi(self, code: str) -> float | None:
        from cityops.events import kpis

        return kpis.value(code, self)

    @property
    def on_time_rate(self) -> float | None:
        return self.kpi("on_time_rate")

    @property
    def satisfaction_rate(self) -> float | None:
        return self.kpi("satisfaction_rate")

    def as_dict(self) -> dict[str, Any]:
        counts = {f: getattr(self, f) for f in (*STAT_FIELDS, "open", "overdue") if f != "handling_seconds"}
        rates = {
            code: self.kpi(code)
            for code in ("on_time_rate", "closure_rate", "rework_rate", "overdue_rate", "return_rate")
        }
        return {
            **counts,
            **rates,
            "satisfaction_rate": self.satisfaction_rate,
            "avg_handling_hours": self.kpi("avg_handling_hours"),
        }


def _sums(stmt_where: list[Any], group: Any | None = None) -> Any:
    cols = [func.coalesce(func.sum(getattr(EventStat, f)), 0) for f in STAT_FIELDS]
    stmt = select(*(([group] if group is not None else []) + cols)).where(*stmt_where)
    return stmt.group_by(group) if group is not None else stmt


# The cockpit's reads, built once: a statement object made per call costs more Python than its query
# costs the database (construction and cache-key generation; a reused statement memoizes its key).
_UNITS: Any = bindparam("unit_ids", expanding=True)
_IN_PERIOD = [EventStat.day >= bindparam("since"), EventStat.day <= bindparam("until")]
_TOTAL = EventStat.category_id == ALL_CATEGORIES
_PER_CATEGORY = EventStat.category_id != ALL_CATEGORIES
_FIGURES = _sums([EventStat.unit_id.in_(_UNITS), *_IN_PERIOD, _TOTAL], EventStat.unit_id)
_FIGURES_OF_CATEGORIES = _sums(
    [EventStat.unit_id.in_(_UNITS), *_IN_PERIOD, EventStat.category_id.in_(bindparam("category_ids", expanding=True))],
    EventStat.unit_id,
)
_GAUGE_SUMS = (
    select(EventGauge.unit_id, func.sum(EventGauge.open), func.sum(EventGauge.overdue))
    .where(EventGauge.unit_id.in_(_UNITS))
    .group_by(EventGauge.unit_id)
)
_RECEIVED = func.sum(EventStat.received)
_BY_CATEGORY = (
    select(EventStat.category_id, _RECEIVED)
    .where(EventStat.unit_id == bindparam("unit_id"), *_IN_PERIOD, _PER_CATEGORY)
    .group_by(EventStat.category_id)
    .order_by(_RECEIVED.desc())
    .limit(bindparam("limit"))
)
DEPARTMENT_FIELDS = ("assigned", "closed", "closed_on_time", "returned")
_BY_DEPARTMENT = (
    select(DepartmentStat.department_id, *[func.sum(getattr(DepartmentStat, f)) for f in DEPARTMENT_FIELDS])
    .where(
        DepartmentStat.department_id.in_(bindparam("department_ids", expanding=True)),
        DepartmentStat.day >= bindparam("since"),
        DepartmentStat.day <= bindparam("until"),
    )
    .group_by(DepartmentStat.department_id)
)


def figures(
    session: Session, unit_ids: list[int], since: date, until: date, *, category_ids: list[int] | None = None
) -> dict[int, Figures]:
    """Flow figures for each unit's subtree over [since, until] plus its current gauges."""
    params: dict[str, Any] = {"unit_ids": unit_ids, "since": since, "until": until}
    if category_ids:
        params["category_ids"] = category_ids
    out = {u: Figures() for u in unit_ids}
    for row in session.execute(_FIGURES_OF_CATEGORIES if category_ids else _FIGURES, params):
        f = out[row[0]]
        for name, value in zip(STAT_FIELDS, row[1:], strict=True):
            setattr(f, name, float(value) if name == "handling_seconds" else int(value))
    for unit_id, (open_, overdue) in gauges(session, unit_ids).items():
        out[unit_id].open, out[unit_id].overdue = open_, overdue
    return out


def gauges(session: Session, unit_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(open, overdue) now for each unit's subtree: the sum over the unit's gauge shards."""
    return {int(u): (int(o), int(v)) for u, o, v in session.execute(_GAUGE_SUMS, {"unit_ids": unit_ids})}


def by_category(session: Session, unit_id: int, since: date, until: date, limit: int = 10) -> list[tuple[int, int]]:
    params = {"unit_id": unit_id, "since": since, "until": until, "limit": limit}
    return [(int(c), int(n)) for c, n in session.execute(_BY_CATEGORY, params)]


def trend(session: Session, unit_id: int, since: date, until: date) -> list[tuple[date, int, int]]:
    stmt = (
        select(EventStat.day, func.sum(EventStat.received), func.sum(EventStat.closed))
        .where(EventStat.unit_id == unit_id, EventStat.day >= since, EventStat.day <= until, _TOTAL)
        .group_by(EventStat.day)
        .order_by(EventStat.day)
    )
    return [(d, int(r), int(c)) for d, r, c in session.execute(stmt)]


def by_department(session: Session, department_ids: list[int], since: date, until: date) -> dict[int, dict[str, int]]:
    if not department_ids:
        return {}
    params = {"department_ids": department_ids, "since": since, "until": until}
    return {
        int(row[0]): {f: int(v or 0) for f, v in zip(DEPARTMENT_FIELDS, row[1:], strict=True)}
        for row in session.execute(_BY_DEPARTMENT, params)
    }
