"""Check a pooled PostgreSQL connection only when it has sat idle: the cluster's liveness test without a
round trip on every request.

`pool_pre_ping` pings at every checkout: one more round trip per request, about 5 % of a create's server
time when measured under load. A connection given back a moment ago is as good as a pinged one, so it is
pinged only after `IDLE_SECONDS` in the pool (after a database restart every pooled connection has been
idle, or fails once, answers 503 and is dropped with the rest of the pool — see docs/operations.md).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

IDLE_SECONDS = 2.0
_CHECKED_IN = "cityops.checked_in_at"


def install(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < IDLE_SECONDS:
            return  # fresh from connect, or back in the pool a moment ago
        try:
            ping(dbapi_conn)
        except Exception as e:  # the pool drops this connection and tries another (or a new one)
            raise exc.DisconnectionError(f"idle connection failed its ping: {e}") from e


def ping(dbapi_conn: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SELECT 1")
