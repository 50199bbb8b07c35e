"""A savepoint's rollback (one bad row of an import) undoes only what it queued: the audit entries and
counter deltas of the rows kept before it stay queued and are committed with them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import system_actor
from cityops.core.db import make_sessionmaker
from cityops.core.hooks import Hooks

ACTOR = system_actor("system:test")
DELTAS = "test.deltas"


@pytest.fixture
def session() -> Session:
    hooks = Hooks()
    audit.install(hooks)
    hooks.on_commit("test.deltas", lambda s: None, lambda s: s.info.pop(DELTAS, None), pending=(DELTAS,))
    engine = create_engine("sqlite://")
    audit.AuditPending.__table__.create(engine)  # type: ignore[attr-defined]
    s = make_sessionmaker(engine, hooks)()
    s.execute(text("SELECT 1"))
    return s


class BadRow(Exception):
    pass


def _bad_row(session: Session, work: Callable[[], object]) -> None:
    """One row of an import that fails inside its savepoint."""
    with contextlib.suppress(BadRow), session.begin_nested():
        work()
        raise BadRow


def _queued(session: Session) -> list[str]:
    return [e["action"] for e in session.info.get("audit_pending", [])]


def _committed(session: Session) -> list[str]:
    session.commit()
    return list(session.scalars(select(audit.AuditPending.action).order_by(audit.AuditPending.id)))


def test_a_rolled_back_savepoint_keeps_what_was_queued_before_it(session: Session) -> None:
    audit.record(session, ACTOR, "row.one")
    session.info[DELTAS] = {"received": {"u1": 1}}

    def row_two() -> None:
        audit.record(session, ACTOR, "row.two")
        session.info[DELTAS]["received"]["u1"] += 1

    _bad_row(session, row_two)
    assert _queued(session) == ["row.one"]
    assert session.info[DELTAS] == {"received": {"u1": 1}}
    with session.begin_nested():  # a good row after it
        audit.record(session, ACTOR, "row.three")
    assert _committed(session) == ["row.one", "row.three"]


def test_a_savepoint_that_began_with_nothing_queued_leaves_nothing(session: Session) -> None:
    _bad_row(session, lambda: session.info.update({DELTAS: {"received": {"u1": 1}}}))
    assert DELTAS not in session.info


def test_the_whole_transactions_rollback_still_drops_everything(session: Session) -> None:
    audit.record(session, ACTOR, "row.one")
    session.info[DELTAS] = {"received": {"u1": 1}}
    session.rollback()
    assert _queued(session) == [] and DELTAS not in session.info
