"""The events page's Excel button in Chromium: the downloaded workbook opens with Chinese headers and
China time (read back with openpyxl)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import PASSWORD, login, make_user, report
from tests.web.conftest import log_in

pytestmark = pytest.mark.browser


def test_events_page_downloads_an_xlsx_in_chinese(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page, tmp_path: Path
) -> None:
    citizen = login(client, factory, "xp_citizen", [Role.citizen])
    created = report(client, citizen.headers)
    make_user(factory, "xp_duty", [Role.dispatcher], unit_code="500103")
    log_in(page, live_url, "xp_duty", PASSWORD)
    page.goto(f"{live_url}/events")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename == "events.xlsx"
    path = tmp_path / "events.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["受理编号"] == created["ref"] and record["状态"] == "待受理"
    received = datetime.fromisoformat(str(created["received_at"]))
    local = (received + timedelta(hours=8)).replace(tzinfo=None, microsecond=0)
    assert record["受理时间（北京时间 UTC+8）"] == local
