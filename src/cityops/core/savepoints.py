"""What a transaction queues on its session until commit (audit entries, counter deltas) and its savepoints.

An import runs each row in a savepoint, so one bad row rolls back alone. SQLAlchemy reports a savepoint's
rollback as a rollback of the session, and the commit hooks' undo used to drop everything queued — the
audit entries and counter deltas of the rows already kept too (they were then committed without them).
Here a savepoint notes the queues as they were when it began, and its rollback puts them back to that."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

_MARKS = "cityops.savepoint_marks"
_ABSENT = object()


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)  # queued entries are not changed once queued: a shallow copy keeps them
    return copy.deepcopy(value)  # counter deltas are small nested dicts, changed in place


def note(session: Session, transaction: SessionTransaction, keys: list[str]) -> None:
    if transaction.nested:
        marks = {k: _copy(session.info[k]) if k in session.info else _ABSENT for k in keys}
        session.info.setdefault(_MARKS, {})[id(transaction)] = marks


def restore(session: Session) -> None:
    """The savepoint being rolled back leaves the queues as they were when it began."""
    transaction = session.get_nested_transaction()
    marks = session.info.get(_MARKS, {}).get(id(transaction)) if transaction is not None else None
    for key, value in (marks or {}).items():
        if value is _ABSENT:
            session.info.pop(key, None)
        else:
            session.info[key] = _copy(value)


def forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.get(_MARKS, {}).pop(id(transaction), None)
