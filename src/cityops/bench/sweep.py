"""The deadline sweep over many open events: ours (warn + overdue flags, timeline, audit, outbox, counters,
escalation to the upper centre) vs a plain UPDATE of the same rows' flags, in the same database."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from cityops.bench import BenchResult
from cityops.core import clock
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.events import deadlines
from cityops.events.intake import IntakeItem, intake_many
from cityops.events.models import Event


def fill(engine: Engine, factory: sessionmaker[Session], *, open_events: int, due: int) -> None:
    """One real event through intake as the template, then plain copies: `due` of them past their deadline."""
    with session_scope(factory) as s:
        template = template_event(s)
    cols = [c for c in template if c != "id"]
    con = sqlite3.connect(engine.url.database or "", isolation_level=None)
    row = dict(template)
    now = clock.now()
    future = (now + timedelta(days=3)).replace(tzinfo=None).isoformat(sep=" ")
    past = (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat(sep=" ")
    values = []
    for i in range(open_events):
        r = {
            **row,
            "ref": f"B{i:011d}",
            "idempotency_key": None,
            "due_at": past if i < due else future,
            "warn_at": past if i < due else future,
        }
        values.append(tuple(_plain(r[c]) for c in cols))
    con.execute("BEGIN")
    con.executemany(f"INSERT INTO event ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", values)
    con.execute("COMMIT")
    con.close()


def _plain(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, dict | list):
        import json

        return json.dumps(v)
    return v


def run(
    engine: Engine, factory: sessionmaker[Session], *, open_events: int = 1_000_000, due: int = 10_000
) -> BenchResult:
    fill(engine, factory, open_events=open_events, due=due)
    now = clock.now()
    t0 = time.perf_counter()
    with session_scope(factory) as s:
        result = deadlines.sweep(s, now)
    ours_s = time.perf_counter() - t0
    with session_scope(factory) as s:  # undo the flags so the baseline finds the same rows due
        s.execute(text("UPDATE event SET overdue = 0, warned = 0 WHERE overdue = 1 OR warned = 1"))
    con = sqlite3.connect(engine.url.database or "", isolation_level=None)
    cutoff = now.replace(tzinfo=None).isoformat(sep=" ")
    t0 = time.perf_counter()
    con.execute("BEGIN")
    marked = con.execute(
        "UPDATE event SET overdue = 1, warned = 1 WHERE status IN ('reported', 'accepted', "
        "'dispatched', 'signed', 'in_progress', 'reported_back') AND due_at <= ? AND overdue = 0",
        (cutoff,),
    ).rowcount
    con.execute("COMMIT")
    base_s = time.perf_counter() - t0
    con.close()
    return BenchResult(
        name="deadline sweep over open events",
        what=f"{open_events:,} open events, {due:,} past their deadline: {result.overdue:,} marked overdue and "
        f"escalated with timeline, audit, outbox and counters in {ours_s * 1000:.0f} ms",
        ours=1 / ours_s,
        baseline=1 / base_s,
        unit="sweeps/s",
        baseline_what=f"a plain UPDATE of the same {marked:,} rows' flags: {base_s * 1000:.0f} ms",
        target="a sweep over 1,000,000 open events in under 1 s",
        notes=f"sweep_ms={ours_s * 1000:.0f}",
    )


def template_event(session: Session) -> dict[str, Any]:
    """One event made by intake, every column as the platform writes it: the row benches copy."""
    first = intake_many(
        session,
        system_actor("system:bench"),
        [
            IntakeItem(
                category="municipal.streetlight_fault",
                description="路灯不亮",
                address="渝中区解放碑街道",
                source="import",
            )
        ],
    )
    return dict(session.execute(select(Event.__table__).where(Event.id == first[0].event_id)).mappings().one())
