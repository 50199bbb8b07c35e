"""Whose turn it is to write to a SQLite database: the writers of this process (a lock) and of the other
processes on this machine (an advisory lock on a file beside the database, `<database>-writers`).

A writer that meets SQLite's own lock taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15,
20, 25 … ms between tries; under a steady stream of small writes from several threads and processes those
sleeps, not the writes, are the tail latency (`cityops bench http --rate …`). Writers queued here are woken
the moment (within half a millisecond across processes) the one before them is done, and give up after the
same 30 s as SQLite's busy timeout. The kernel drops a process's lock when it exits, even by SIGKILL.
Writers that do not take turns (the sqlite3 shell, the online backup) still meet SQLite's lock and its busy
timeout.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

BUSY_SECONDS = 30


def _locked(why: str) -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", None, Exception(f"database is locked ({why})"))


class WriterTurns:
    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writers" if database and database != ":memory:" else None
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def take(self) -> None:
        deadline = time.monotonic() + BUSY_SECONDS
        if not self._threads.acquire(timeout=BUSY_SECONDS):
            raise _locked("writers of this process")
        try:
            if self._path is not None:
                self._take_file(deadline)
        except BaseException:
            self._threads.release()
            raise

    def _take_file(self, deadline: float) -> None:
        # One thread per process gets here (the others wait on the thread lock), so trying every half
        # millisecond costs next to nothing and wakes it at most that long after the other process is done;
        # a blocking flock would wait without the bound that SQLite's busy timeout gives.
        fd = self._file()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _locked("another process writes") from None
                time.sleep(0.0005)

    def give_back(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


HOLDS_WRITE_LOCK = "cityops.holds_write_lock"
_CHANGES_AT_BEGIN = "cityops.changes_at_begin"


def wrote_since_begin(conn: Any) -> bool:
    """Whether this SQLite connection's transaction has inserted, updated or deleted a row (sqlite3 counts
    every change since the connection opened; the count at BEGIN is kept). False on other databases."""
    start = conn.info.get(_CHANGES_AT_BEGIN)
    return start is not None and conn.connection.dbapi_connection.total_changes != start


def configure_sqlite(engine: Engine) -> None:
    """SQLite as the city runs it: WAL, foreign keys, a busy timeout, and write transactions that take
    their turn (below) and the lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below) so write transactions can take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        # 32 MiB of page cache (the default is 2 MiB): a batch of readings dirties more pages than that,
        # and a spilled cache writes them to the WAL twice.
        cur.execute("PRAGMA cache_size=-32768")
        cur.close()

    turns = WriterTurns(engine.url.database)  # writers take turns before SQLite's lock (see sqlite_turns)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes
        # A write transaction that starts deferred and upgrades later fails with SQLITE_BUSY when
        # another writer committed in between; BEGIN IMMEDIATE queues for the lock instead.
        if not conn.get_execution_options().get("sqlite_immediate", False):
            conn.exec_driver_sql("BEGIN")
            return
        turns.take()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            turns.give_back()
            raise
        conn.info[HOLDS_WRITE_LOCK] = True

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        if conn.info.pop(HOLDS_WRITE_LOCK, False):
            try:  # commit now, so the next writer never finds SQLite's lock still held
                conn.connection.dbapi_connection.commit()
            finally:
                turns.give_back()

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        if conn.info.pop(HOLDS_WRITE_LOCK, False):
            try:
                conn.connection.dbapi_connection.rollback()
            finally:
                turns.give_back()

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    def _on_gone(_dbapi_conn: Any, record: Any, *_exc: Any) -> None:
        # A connection given back or dropped while its write transaction was never ended (an error on
        # the way) must not keep the other writers waiting.
        if record.info.pop(HOLDS_WRITE_LOCK, False):
            turns.give_back()
