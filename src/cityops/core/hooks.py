"""Hooks: everything a domain plugs into the platform, registered explicitly by the composition root.

`cityops.runtime.build_hooks()` asks each domain's `install(hooks)` to register its outbox subscribers,
periodic jobs, one-off tasks, commit hooks and its answer to unit changes; `create_app`, the worker and
the CLI build one `Hooks` each and hand it to `make_sessionmaker`, so every session they open carries it
(`hooks_of(session)`). Nothing registers itself by being imported, nothing is a module-level singleton, and
a test builds its own `Hooks` when it needs a private job or subscriber.

Registration refuses duplicates: a second subscriber under the same name, or a second job with the same
name, is a programming error caught at start-up rather than a silent replacement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, SessionTransaction

from cityops.core import savepoints
from cityops.core.settings import Settings

if TYPE_CHECKING:
    from cityops.core.actor import Actor

OutboxHandler = Callable[[Session, dict[str, Any]], None]
TaskFn = Callable[[Session, dict[str, Any]], None]
PeriodicFn = Callable[[Session, datetime], object]  # what it returns is ignored
SessionFn = Callable[[Session], None]
UnitLookup = Callable[[Session, int], tuple[str, str]]  # unit id -> (path, level)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    fn: PeriodicFn


@dataclass(frozen=True)
class UnitChanged:
    """Units of the org tree moved or merged, told to every domain inside the org change's transaction.

    `moves` maps each old cached path prefix to its new one (a move or the children of a merge);
    `merged` maps a retired unit id to the unit that took over. A domain rewrites its own rows, re-keys
    its own counters and writes its own timeline entries.
    """

    kind: str  # "move" | "merge" | "split"
    moves: tuple[tuple[str, str], ...] = ()
    merged: tuple[tuple[int, int, str], ...] = ()  # (retired unit id, successor id, successor path)


UnitChangedFn = Callable[[Session, "Actor", UnitChanged], None]
# An indicator source: (session, the indicator, units, since, until) -> value per unit id.
IndicatorSource = Callable[[Session, Any, list[Any], Any, Any], dict[int, float | None]]
ExternalHandler = Callable[["Hooks", dict[str, Any]], None]
# A guard on an event action: (session, actor, event, body) -> None, raising to refuse the action.
ActionGuard = Callable[[Session, "Actor", Any, Any], None]


class DuplicateHook(ValueError):
    pass


@dataclass
class Hooks:
    subscribers: dict[str, dict[str, OutboxHandler]] = field(default_factory=dict)
    external: dict[str, dict[str, ExternalHandler]] = field(default_factory=dict)
    periodic: dict[str, Periodic] = field(default_factory=dict)
    tasks: dict[str, TaskFn] = field(default_factory=dict)
    before_commit: list[tuple[str, SessionFn]] = field(default_factory=list)
    after_rollback: list[tuple[str, SessionFn]] = field(default_factory=list)
    pending_keys: list[str] = field(default_factory=list)  # session.info keys a savepoint's rollback restores
    unit_changed: list[tuple[str, UnitChangedFn]] = field(default_factory=list)
    indicator_sources: dict[str, IndicatorSource] = field(default_factory=dict)
    action_guards: dict[str, dict[str, ActionGuard]] = field(default_factory=dict)
    bundle_kinds: dict[str, Any] = field(default_factory=dict)  # kind -> core.bundles.KindHandler
    unit_lookup: UnitLookup | None = None  # installed by org: core.auth builds an actor's jurisdiction with it
    settings: Settings = field(default_factory=Settings)
    # Per-process state a domain keeps between transactions (e.g. the sensing device registry).
    state: dict[str, Any] = field(default_factory=dict)

    def subscribe(self, topic: str, name: str, fn: OutboxHandler) -> None:
        """`fn` receives every message of `topic`; all subscribers of a message run in the transaction
        that marks it delivered, so a message's database effects happen once, or not at all and again."""
        topic_subs = self.subscribers.setdefault(topic, {})
        if name in topic_subs:
            raise DuplicateHook(f"outbox subscriber {name!r} on {topic!r} is registered twice")
        topic_subs[name] = fn

    def handlers_for(self, topic: str) -> list[OutboxHandler]:
        return list(self.subscribers.get(topic, {}).values())

    def deliver_outside(self, topic: str, name: str, fn: ExternalHandler) -> None:
        """`fn(hooks, payload)` talks to the outside world (a webhook, an SMS gateway) for every message of
        `topic`, with no database transaction open; at least once, so receivers de-duplicate."""
        topic_subs = self.external.setdefault(topic, {})
        if name in topic_subs:
            raise DuplicateHook(f"external delivery {name!r} on {topic!r} is registered twice")
        topic_subs[name] = fn

    def external_for(self, topic: str) -> list[ExternalHandler]:
        return list(self.external.get(topic, {}).values())

    def every(self, name: str, interval: timedelta, fn: PeriodicFn) -> None:
        if name in self.periodic:
            raise DuplicateHook(f"periodic job {name!r} is registered twice")
        self.periodic[name] = Periodic(name, interval, fn)

    def task(self, name: str, fn: TaskFn) -> None:
        if name in self.tasks:
            raise DuplicateHook(f"task {name!r} is registered twice")
        self.tasks[name] = fn

    def on_commit(
        self, name: str, before_commit: SessionFn, after_rollback: SessionFn, *, pending: tuple[str, ...] = ()
    ) -> None:
        """Work every transaction does last (chaining audit entries, folding counters), and its undo;
        `pending` names the session.info keys where it queues that work (see core.savepoints)."""
        if any(n == name for n, _ in self.before_commit):
            raise DuplicateHook(f"commit hook {name!r} is registered twice")
        self.before_commit.append((name, before_commit))
        self.after_rollback.append((name, after_rollback))
        self.pending_keys.extend(pending)

    def indicator_source(self, kind: str, fn: IndicatorSource) -> None:
        """A domain above indicators offers the values of indicators whose source type is `kind`, so
        indicators never import it (the catalogue's satisfaction rate, the risk register's counts)."""
        if kind in self.indicator_sources:
            raise DuplicateHook(f"indicator source {kind!r} is registered twice")
        self.indicator_sources[kind] = fn

    def guard_action(self, action: str, name: str, fn: ActionGuard) -> None:
        """`fn` may refuse an event action (raise a `CityOpsError`) before it changes anything: a domain's
        own condition on the closed loop (a wage case closes only with its recovered amount)."""
        guards = self.action_guards.setdefault(action, {})
        if name in guards:
            raise DuplicateHook(f"action guard {name!r} on {action!r} is registered twice")
        guards[name] = fn

    def guards_for(self, action: str) -> list[ActionGuard]:
        return list(self.action_guards.get(action, {}).values())

    def bundle_kind(self, handler: Any) -> None:
        """A content kind app bundles may carry (a `core.bundles.KindHandler`), owned by the domain whose
        rows it writes, so the app installer never imports a domain."""
        if handler.kind in self.bundle_kinds:
            raise DuplicateHook(f"bundle kind {handler.kind!r} is registered twice")
        self.bundle_kinds[handler.kind] = handler

    def on_unit_changed(self, name: str, fn: UnitChangedFn) -> None:
        if any(n == name for n, _ in self.unit_changed):
            raise DuplicateHook(f"unit-change hook {name!r} is registered twice")
        self.unit_changed.append((name, fn))

    def run_before_commit(self, session: Session) -> None:
        for _, fn in self.before_commit:
            fn(session)

    def run_after_rollback(self, session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint: only what it queued is undone
            savepoints.restore(session)
            return
        for _, fn in self.after_rollback:
            fn(session)

    def note_savepoint(self, session: Session, transaction: SessionTransaction) -> None:
        savepoints.note(session, transaction, self.pending_keys)


HOOKS_KEY = "cityops.hooks"


def hooks_of(session: Session) -> Hooks:
    """The hooks of the app or worker that opened this session."""
    hooks = session.info.get(HOOKS_KEY)
    if hooks is None:
        raise RuntimeError("session was not made by make_sessionmaker(engine, hooks): no domain hooks installed")
    assert isinstance(hooks, Hooks)
    return hooks
