"""One hash-chained audit log for every domain, written in the same transaction as the change.

Services call `record()`; entries wait in the session and get their sequence number and hash in a
`before_commit` hook, under a lock on the single `audit_head` row, so concurrent writers extend
one chain and the lock is held only for the instant before COMMIT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.db import Base, bulk_insert
from cityops.core.hooks import Hooks

GENESIS = "0" * 64
_PENDING = "audit_pending"


class AuditHead(Base):
    """The chain's tip: one row, locked while a transaction appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _subject_of(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return str(subject[0]), str(subject[1])
    return str(getattr(subject, "__tablename__", type(subject).__name__)), str(getattr(subject, "id", ""))


def entry(actor: Actor, action: str, subject: Any = None, *, at: datetime | None = None, **data: Any) -> dict[str, Any]:
    """Build one pending entry (used by `record` and by bulk paths that record many at once)."""
    subject_type, subject_id = _subject_of(subject)
    return {
        "at": at or clock.now(),
        "actor_id": actor.user_id,
        "actor_name": actor.username[:80],
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": json.dumps(data, ensure_ascii=False, sort_keys=True, default=str),
    }


def record(session: Session, actor: Actor, action: str, subject: Any = None, **data: Any) -> None:
    """Write an audit entry in the caller's transaction ("<domain>.<verb>" actions)."""
    session.info.setdefault(_PENDING, []).append(entry(actor, action, subject, **data))


def record_many(session: Session, entries: Iterable[dict[str, Any]]) -> None:
    session.info.setdefault(_PENDING, []).extend(entries)


def _digest(seq: int, e: dict[str, Any], prev_hash: str) -> str:
    at: datetime = clock.as_utc(e["at"])
    canonical = "\x1f".join(
        [
            str(seq),
            at.isoformat(timespec="microseconds"),
            "" if e["actor_id"] is None else str(e["actor_id"]),
            e["actor_name"],
            e["action"],
            e["subject_type"],
            e["subject_id"],
            e["data"],
            prev_hash,
        ]
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def flush_pending(session: Session) -> int:
    """Chain and insert the session's pending entries; called just before COMMIT."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    seq, prev = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()).one()
    rows = []
    for e in pending:
        seq += 1
        digest = _digest(seq, e, prev)
        rows.append({**e, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    bulk_insert(session, AuditEntry, rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return len(rows)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
    prev, expected_seq, checked = GENESIS, 1, 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for row in session.scalars(stmt):
        e = {
            c: getattr(row, c) for c in ("at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "data")
        }
        if row.seq != expected_seq:
            return VerifyResult(False, checked, row.seq, f"sequence gap: expected {expected_seq}, found {row.seq}")
        if row.prev_hash != prev:
            return VerifyResult(False, checked, row.seq, "prev_hash does not match the previous entry's hash")
        if _digest(row.seq, e, prev) != row.hash:
            return VerifyResult(False, checked, row.seq, "content does not match its hash (entry was altered)")
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return VerifyResult(False, checked, head.seq, "chain head does not match the last entry (entries removed)")
    return VerifyResult(True, checked)


def _before_commit(session: Session) -> None:
    flush_pending(session)


def _after_rollback(session: Session) -> None:
    discard_pending(session)


def install(hooks: Hooks) -> None:
    """Chain pending entries at every commit of the sessions these hooks are installed on."""
    hooks.on_commit("audit.chain", _before_commit, _after_rollback)
