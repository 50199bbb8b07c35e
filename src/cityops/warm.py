"""A server's warm-up before its first request: the hot paths run once in process, on every pooled connection.

Measured on PostgreSQL: a fresh server answers its first cockpit summary in ≈ 300 ms against ≈ 15 ms later,
and each fresh PostgreSQL session pays ≈ 3 ms more per statement shape until its catalogue caches hold the
tables, indexes and operators the statement touches. With 10 pooled connections per process, the first
seconds of traffic after a start ran at about twice the work per request (the open-loop bench's slow tail).
So each connection runs the reads (cockpit summary, event list, event page) through the app itself, and a
create that is rolled back, before the server accepts traffic."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock
from cityops.core.actor import Actor, system_actor
from cityops.core.deps import get_optional_actor
from cityops.core.hooks import hooks_of
from cityops.events import intake, routing
from cityops.events.intake_types import IntakeItem
from cityops.events.models import Event

log = logging.getLogger("cityops.warm")


def _city(session: Session) -> Actor | None:
    """A reader over the whole tree, placed at the root unit (the cockpit needs a unit to summarise)."""
    ctx = routing.context(session)
    roots = [u for u in ctx.units.values() if u.level == "city"]
    if not roots:
        return None
    return system_actor("system:warm-up", unit_path=roots[0].path, unit_id=roots[0].id)


def _street_code(session: Session) -> str | None:
    units = [u for u in routing.context(session).units.values() if u.level == "street" and u.code]
    return units[0].code if units else None


def _rolled_back_create(session: Session, actor: Actor, street: str) -> None:
    """A create's statements, commit hooks included, in a transaction that is then rolled back: nothing is
    kept (an event id from the sequence is spent, as any failed create spends one)."""
    item = IntakeItem(
        category="municipal.drain_blocked",
        description="服务启动预热（回滚，不保存）",
        source="grid_worker",
        unit_code=street,
        received_at=clock.now(),
    )
    intake.intake_one(session, actor, item)
    session.flush()
    hooks_of(session).run_before_commit(session)
    session.rollback()


def _get_in_process(app: FastAPI, paths: list[str]) -> int:
    """GET each path through the app in process, in order, on a thread of its own (`cityops serve` builds
    the app inside uvicorn's running event loop, where another loop cannot run); how many answered 200."""
    answered: list[int] = []

    async def get_all() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://warm-up") as client:
            for path in paths:
                answered.append((await client.get(path)).status_code)

    def run() -> None:
        try:
            asyncio.run(get_all())
        except Exception:  # an optimisation: the server still starts, and says why it is cold
            log.exception("warm-up reads skipped")

    quiet = logging.getLogger("httpx")
    level, quiet.level = quiet.level, logging.WARNING  # not a line per warm-up request in the server's log
    try:
        worker = threading.Thread(target=run, name="warm-up")
        worker.start()
        worker.join()
    finally:
        quiet.setLevel(level)
    return answered.count(200)


def warm_up(app: FastAPI, connections: int) -> int:
    """Run the hot paths `connections` times (the pool hands its connections out in turn, so each is used);
    how many of its requests succeeded. A warm-up request that fails is logged and the rest skipped: the server
    still starts."""
    factory: Any = app.state.sessionmaker
    with factory() as session:
        intake.warm_up(session)
        actor, street = _city(session), _street_code(session)
        event_id = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    if actor is None or actor.unit_id is None:
        return 0
    app.dependency_overrides[get_optional_actor] = lambda: actor
    # Requests in turn take the pool's connections in turn; with 3 paths and 10 connections (coprime) each
    # connection serves each path once.
    reads = [f"/api/metrics?unit_id={actor.unit_id}", "/api/events?limit=20"]
    reads += [f"/api/events/{event_id}"] if event_id is not None else []
    made = 0
    try:
        made += _get_in_process(app, reads * max(1, connections))
        for _ in range(max(1, connections) if street else 0):
            with factory() as session:
                _rolled_back_create(session, actor, str(street))
                made += 1
    except Exception:  # a warm-up is an optimisation: the server still starts
        log.exception("warm-up skipped")
    finally:
        app.dependency_overrides.pop(get_optional_actor, None)
    return made
