"""An idle keep-alive connection outlives a reverse proxy's idle timeout: nginx keeps upstream connections
60 s and sends a request on one whenever it likes; a server closing it first (uvicorn's default is 5 s)
makes the proxy answer 502 now and then, and a POST is not retried."""

from __future__ import annotations

import http.client
import time

import pytest

from tests.conftest import IS_PG, _free_port
from tests.core.procs import start_server, stop


def _health(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/api/health")
    response = conn.getresponse()
    response.read()
    return response.status


@pytest.mark.skipif(IS_PG, reason="HTTP behaviour, the same on either database")
def test_an_idle_connection_is_kept_past_five_seconds_and_closed_after_the_configured_time(db_url: str) -> None:
    default_port, short_port = _free_port(), _free_port()
    servers = [start_server(db_url, default_port), start_server(db_url, short_port, CITYOPS_KEEPALIVE_SECONDS="1")]
    try:
        kept = http.client.HTTPConnection("127.0.0.1", default_port, timeout=10)
        closed = http.client.HTTPConnection("127.0.0.1", short_port, timeout=10)
        assert _health(kept) == 200 and _health(closed) == 200
        time.sleep(6)
        assert kept.sock is not None
        assert _health(kept) == 200, "the connection was closed while the proxy could still use it"
        # The short setting is honoured: the server has hung up, so the next request on it finds no answer.
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            _health(closed)
        kept.close()
        closed.close()
    finally:
        stop(*servers)


@pytest.mark.skipif(IS_PG, reason="HTTP behaviour, the same on either database")
def test_the_open_loop_bench_sends_again_on_a_connection_the_server_closed_while_idle(db_url: str) -> None:
    """`cityops bench http`'s open loop against a server that closes idle connections after 1 s: a request on
    such a connection finds no answer; the client opens a new one and sends again, as a proxy would, instead of
    counting an error the server never made."""
    from cityops.bench import http_open

    port = _free_port()
    server = start_server(db_url, port, CITYOPS_KEEPALIVE_SECONDS="1")
    try:
        mix, _ = http_open.drive(
            [f"http://127.0.0.1:{port}"],
            "",
            create_rate=0,
            read_rate=1.2,  # two connections, each idle ≈ 1.7 s between its requests
            seconds=8,
            streets=[],
            event_ids=[],
            health_only=True,
            pool=2,
        )
    finally:
        stop(server)
    health = mix.load("health")
    assert not health.errors, health.errors
    assert len(health.latencies_ms) >= 4 and health.retried >= 1
