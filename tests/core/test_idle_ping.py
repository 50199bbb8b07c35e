"""A pooled PostgreSQL connection whose session died while it sat idle (the server restarted, an idle
timeout, an operator's pg_terminate_backend) is pinged and replaced on checkout: the next request works.
A connection back in the pool a moment ago is not pinged (that round trip is what the idle ping saves)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cityops.core import idle_ping
from cityops.core.db import make_engine, open_pool
from tests.conftest import IS_PG

pytestmark = pytest.mark.skipif(not IS_PG, reason="the idle ping is PostgreSQL's (SQLite has no server)")


def test_a_dead_idle_connection_is_replaced_and_a_busy_one_not_pinged(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    real_ping = idle_ping.ping

    def counted(conn: object) -> None:
        pings.append(conn)
        real_ping(conn)

    monkeypatch.setattr(idle_ping, "ping", counted)
    try:
        assert open_pool(engine) == 1
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as conn:  # straight back: no ping
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
        assert pings == []

        killer = make_engine(db_url, pool_size=1)
        with killer.connect() as k:
            assert k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        killer.dispose()
        monkeypatch.setattr(idle_ping, "IDLE_SECONDS", 0.0)  # as if it had idled past the limit

        with engine.connect() as conn:  # pinged, found dead, replaced by a new session
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        assert len(pings) == 1
    finally:
        engine.dispose()
