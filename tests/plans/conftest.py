from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.settings import Settings
from cityops.core.worker import Worker
from cityops.plans.notify import LOGGING_SMS


def drain(factory: sessionmaker[Session]) -> Worker:
    """Run the worker until nothing is left to do (periodic sweeps included once)."""
    worker = Worker(factory, owner="test")
    worker.ensure_schedules()
    for _ in range(20):
        if worker.tick() == 0:
            break
    assert not worker.stats.errors, worker.stats.errors[-1]
    return worker


class WebhookReceiver:
    """A real webhook receiver on loopback."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append({"delivery": self.headers["X-CityOps-Delivery"], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    h = WebhookReceiver()
    LOGGING_SMS.sent.clear()
    yield h
    h.close()


@pytest.fixture
def settings(db_url: str, request: pytest.FixtureRequest) -> Settings:
    """The app's and the worker's settings; a test asking for `webhooks` has them configured."""
    url = request.getfixturevalue("webhooks").url if "webhooks" in request.fixturenames else ""
    return Settings(env="test", database_url=db_url, webhook_urls=url)
