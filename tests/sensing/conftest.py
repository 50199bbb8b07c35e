from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.sensing.registry import REGISTRY
from tests.factories import Login, login

MOSQUITTO = "/usr/sbin/mosquitto"


@pytest.fixture
def gateway(client: TestClient, factory: sessionmaker[Session]) -> Login:
    REGISTRY.__init__()  # type: ignore[misc]  # a fresh database: forget devices cached by earlier tests
    return login(client, factory, "iot_gateway", [Role.data_admin], unit_code="500000")


def register(client: TestClient, gateway: Login, *devices: dict[str, object]) -> dict[str, object]:
    r = client.post("/api/devices", headers=gateway.headers, json=list(devices))
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[str]:
    """A real broker on a free loopback port, started and stopped by the test."""
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is missing: the README's test command installs it from apt")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\n"
    )
    conf.chmod(0o644)
    tmp_path.chmod(0o755)
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"mosquitto did not start: {proc.stderr.read() if proc.stderr else ''}")
    yield f"mqtt://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
