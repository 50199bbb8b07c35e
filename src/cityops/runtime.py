"""The composition root: which domains make up this platform, and what each plugs in.

`create_app`, `cityops worker` and the CLI call `build_hooks(settings)` once and open every session through
`session_factory(engine, settings)`, so the same registrations serve requests, jobs and commands. Adding a
domain is one line here (its `hooks.install`).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cityops import models  # noqa: F401  (every table on the metadata)
from cityops.ai import hooks as ai_hooks
from cityops.apps import hooks as apps_hooks
from cityops.catalog import hooks as catalog_hooks
from cityops.core import audit, files, retention
from cityops.core.db import make_sessionmaker
from cityops.core.hooks import HOOKS_KEY, Hooks
from cityops.core.settings import Settings
from cityops.events import hooks as events_hooks
from cityops.grid import hooks as grid_hooks
from cityops.indicators import hooks as indicators_hooks
from cityops.muck import hooks as muck_hooks
from cityops.org import hooks as org_hooks
from cityops.plans import hooks as plans_hooks
from cityops.risks import hooks as risks_hooks
from cityops.sensing import hooks as sensing_hooks
from cityops.wages import hooks as wages_hooks

DOMAINS = (
    org_hooks,
    events_hooks,
    grid_hooks,
    sensing_hooks,
    plans_hooks,
    indicators_hooks,
    catalog_hooks,
    risks_hooks,
    ai_hooks,
    wages_hooks,
    muck_hooks,
    apps_hooks,
)


def build_hooks(settings: Settings) -> Hooks:
    hooks = Hooks(settings=settings)
    audit.install(hooks)
    retention.install(hooks)
    files.install(hooks)
    for domain in DOMAINS:
        domain.install(hooks)
    return hooks


def session_factory(engine: Engine, settings: Settings | None = None) -> sessionmaker[Session]:
    """Sessions carrying freshly built hooks: what an app, a worker or a command opens its sessions with."""
    return make_sessionmaker(engine, build_hooks(settings or Settings()))


def hooks_of_factory(factory: sessionmaker[Session]) -> Hooks:
    hooks = factory.kw["info"][HOOKS_KEY]
    assert isinstance(hooks, Hooks)
    return hooks
