"""SQLite writers take turns (core.sqlite_turns): a writer waits for the one before it, in another process
too (two engines on one file hold separate locks, as two processes do), and gives up after the busy timeout
instead of waiting for ever."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from cityops.core import sqlite_turns
from cityops.core.db import make_engine


def _writer(engine: Engine) -> Engine:
    return engine.execution_options(sqlite_immediate=True)


def _engines(tmp_path: Path) -> tuple[Engine, Engine]:
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    first, second = make_engine(url), make_engine(url)
    with first.begin() as c:
        c.execute(text("CREATE TABLE note (n INTEGER)"))
    return first, second


def test_a_writer_of_another_process_goes_as_soon_as_the_first_commits(tmp_path: Path) -> None:
    first, second = _engines(tmp_path)
    done: list[float] = []

    def later_writer() -> None:
        with _writer(second).begin() as c:
            c.execute(text("INSERT INTO note VALUES (2)"))
        done.append(time.monotonic())

    with _writer(first).begin() as c:
        c.execute(text("INSERT INTO note VALUES (1)"))
        waiting = threading.Thread(target=later_writer)
        waiting.start()
        time.sleep(0.3)
        assert not done  # still waiting its turn
        committed = time.monotonic()
    waiting.join(10)
    assert done and done[0] - committed < 0.1
    with first.connect() as c:
        assert c.execute(text("SELECT n FROM note ORDER BY n")).scalars().all() == [1, 2]
    first.dispose()
    second.dispose()


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_turns, "BUSY_SECONDS", 0.5)
    first, second = _engines(tmp_path)
    with _writer(first).begin() as c:
        c.execute(text("INSERT INTO note VALUES (1)"))
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), _writer(second).begin() as other:
            other.execute(text("INSERT INTO note VALUES (2)"))
        assert 0.4 < time.monotonic() - started < 5
    with _writer(second).begin() as c:  # its turn came back: nothing was left held
        c.execute(text("INSERT INTO note VALUES (3)"))
    with first.connect() as c:
        assert c.execute(text("SELECT n FROM note ORDER BY n")).scalars().all() == [1, 3]
    first.dispose()
    second.dispose()
