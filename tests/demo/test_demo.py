"""The README's run command: `cityops demo` on an empty database comes alive within a minute — events,
alarms, an overdue escalation and runway colours on the city cockpit, seen in Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.conftest import IS_PG, _free_port
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path: Path, db_url: str) -> Iterator[str]:
    port = _free_port()
    # SQLite runs get a fresh empty file; PostgreSQL runs reuse the test database (already migrated and loaded).
    url = db_url if IS_PG else f"sqlite:///{tmp_path}/demo.db"
    env = {**os.environ, "CITYOPS_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cityops.cli.main", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail(f"demo exited: {proc.stdout.read() if proc.stdout else ''}")
    else:
        proc.kill()
        pytest.fail("demo did not come up in 90 s")
    yield base
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _tile(page: Page, key: str) -> int:
    text = page.locator(f"[data-kpi={key}] .value").inner_text().strip()
    return int(text) if text.isdigit() else 0


def test_demo_city_comes_alive_within_a_minute(demo: str, page: Page) -> None:
    started = time.monotonic()
    page.goto(f"{demo}/login")
    page.fill("input[name=username]", "city_leader")
    page.fill("input[name=password]", "cityops2026")
    page.click("#login-button")
    page.wait_for_url("**/cockpit/**")
    seen: dict[str, bool] = {}
    while time.monotonic() - started < 60:
        page.reload()
        seen = {
            "events": _tile(page, "received_today") > 0,
            "alarms": _tile(page, "alarms") > 0,
            "overdue": _tile(page, "overdue") > 0,
            "runway colours": page.locator(
                "#runway-strip .lamp.red, #runway-strip .lamp.amber, #runway-strip .lamp.green"
            ).count()
            > 0,
        }
        if all(seen.values()):
            break
        time.sleep(3)
    shot(page, "demo-city.png")
    assert all(seen.values()), seen
    assert page.locator("#latest li a").count() > 0
