"""One hash-chained audit log for every domain, written in the same transaction as the change.

Services call `record()`; just before COMMIT the session's entries are appended to `audit_pending` —
an insert-only queue that no two writers contend on. A sequencer job (the worker's `audit.sequence`,
one at a time under the `audit_head` row lock that only it takes) moves them, in batches and within
seconds, into `audit_entry`, giving each its sequence number and a hash over the previous entry's, the
way a transparency log's sequencer builds its tree from a queue. The chain's order is the sequencer's
order: an entry whose transaction commits late is chained in a later batch, never skipped.

Each batch publishes a checkpoint (head sequence, hash, time) in `audit_checkpoint`; an operator copies
checkpoints elsewhere (`cityops audit checkpoint`) and `cityops audit verify --checkpoint SEQ:HASH` proves
nothing up to it was rewritten since, even by someone who could recompute the whole chain here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, String, Text, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.db import AUDIT_QUEUE, Base, bulk_insert, dumps, write_after_read
from cityops.core.hooks import Hooks

GENESIS = "0" * 64
T = TypeVar("T")
_PENDING = AUDIT_QUEUE


class AuditHead(Base):
    """The chain's tip: one row, locked while a transaction appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class _EntryFields:
    """What an entry says, the same waiting and chained."""

    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)


class AuditPending(_EntryFields, Base):
    """Entries committed with their change and waiting for the sequencer."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


class AuditCheckpoint(Base):
    """The chain's head after a sequencer batch: what an operator copies elsewhere."""

    __tablename__ = "audit_checkpoint"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class AuditEntry(_EntryFields, Base):
    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
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
        "data": dumps(data),
    }


def record(session: Session, actor: Actor, action: str, subject: Any = None, **data: Any) -> None:
    """Write an audit entry in the caller's transaction ("<domain>.<verb>" actions)."""
    _queue(session).append(entry(actor, action, subject, **data))


def _queue(session: Session) -> list[dict[str, Any]]:
    """The session's queued entries. The first makes a read-only request (a GET: an audited read, a
    revealed phone number, an export) a writer before it writes (see db.write_after_read)."""
    queue: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if queue is None:
        write_after_read(session)
        queue = session.info[_PENDING] = []
    return queue


def add_new(session: Session, actor: Actor, action: str, row: T, /, **data: Any) -> T:
    """Store a new row and record its entry: the entry names the row's id, so the row is flushed first."""
    session.add(row)
    session.flush()
    record(session, actor, action, row, **data)
    return row


def record_many(session: Session, entries: Iterable[dict[str, Any]]) -> None:
    _queue(session).extend(entries)


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
    """Queue the session's entries for the sequencer; called just before COMMIT (no shared row is touched)."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if pending:
        bulk_insert(session, AuditPending, pending)
    return len(pending)


ENTRY_FIELDS = ("at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "data")


def sequence(session: Session, *, limit: int = 20_000) -> int:
    """Chain up to `limit` queued entries in queue order and publish a checkpoint; returns how many.
    Only the sequencer locks the head row, so writers never wait on it."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()).one()
    queued = session.scalars(select(AuditPending).order_by(AuditPending.id).limit(limit)).all()
    if not queued:
        return 0
    seq, prev = int(head.seq), str(head.hash)
    rows = []
    for q in queued:
        e = {f: getattr(q, f) for f in ENTRY_FIELDS}
        seq += 1
        digest = _digest(seq, e, prev)
        rows.append({**e, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    bulk_insert(session, AuditEntry, rows)
    session.execute(delete(AuditPending).where(AuditPending.id.in_([q.id for q in queued])))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    session.add(AuditCheckpoint(seq=seq, hash=prev, at=clock.now()))
    return len(rows)


def sequence_job(session: Session, now: datetime) -> None:
    sequence(session)


def waiting(session: Session) -> int:
    """Entries committed but not chained yet (the sequencer runs every few seconds)."""
    return int(session.scalar(select(func.count()).select_from(AuditPending)) or 0)


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session, *, batch: int = 5000, checkpoint: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold. With a
    checkpoint copied elsewhere earlier, also prove the chain still passes through it."""
    result = _walk(session, batch)
    if result.ok and checkpoint is not None:
        seq, digest = checkpoint
        found = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if found != digest:
            reason = "no entry at the checkpoint" if found is None else "rewritten: the hash at the checkpoint differs"
            return VerifyResult(False, result.checked, seq, reason)
    return result


def _walk(session: Session, batch: int) -> VerifyResult:
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
    """Queue entries at every commit of the sessions these hooks are installed on; chain them in the worker."""
    hooks.on_commit("audit.queue", _before_commit, _after_rollback, pending=(_PENDING,))
    hooks.every("audit.sequence", timedelta(seconds=2), sequence_job)
