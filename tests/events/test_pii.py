"""ID card and mobile numbers typed into a report are masked in lists, details, exports, Open311 and the SMS
log; the audited reveal shows them to the staff who give a reason."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from cityops.core.pii import mask_text
from cityops.plans.notify import LOGGING_SMS
from tests.events.conftest import Cast
from tests.factories import report

SECRET_ID, SECRET_PHONE = "500103199001011234", "13987654321"
TEXT = f"拖欠工资三个月，本人身份证{SECRET_ID}，联系电话{SECRET_PHONE}，订单号20260301123456789012"


def test_mask_text_keeps_other_numbers() -> None:
    assert mask_text(TEXT) == (
        "拖欠工资三个月，本人身份证500103********1234，联系电话139****4321，订单号20260301123456789012"
    )
    assert mask_text("旧证号500103900101123 门牌12号") == "旧证号500103******123 门牌12号"


def test_numbers_in_the_text_are_masked_everywhere_but_an_audited_reveal(
    client: TestClient, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    ev = report(client, cast.citizen.headers, category="municipal.streetlight_fault", description=TEXT)
    assert SECRET_ID not in str(ev) and SECRET_PHONE not in str(ev)
    listed = client.get("/api/events", headers=cast.district.headers)
    exported = client.get("/api/events/export.csv", headers=cast.district.headers)
    detail = client.get(f"/api/events/{ev['id']}", headers=cast.district.headers)
    page = client.get(f"/events/{ev['id']}", headers=cast.district.headers)
    public = client.get(f"/open311/v2/requests/{ev['ref']}.json")
    for r in (listed, exported, detail, page, public):
        assert r.status_code == 200
        assert SECRET_ID not in r.text and SECRET_PHONE not in r.text, r.url
        assert "500103********1234" in r.text or r is exported  # the export has no description column
    revealed = client.get(
        f"/api/events/{ev['id']}",
        headers=cast.district.headers,
        params={"reveal_phone": True, "reason": "回访核实身份"},
    )
    assert SECRET_ID in revealed.json()["description"]
    without_reason = client.get(f"/api/events/{ev['id']}", headers=cast.district.headers, params={"reveal_phone": True})
    assert without_reason.status_code == 422 and without_reason.json()["data"]["field"] == "reason"

    with caplog.at_level(logging.INFO, logger="cityops.notify"):
        LOGGING_SMS.send("13800138000", f"直报：{TEXT}")
    assert SECRET_ID not in caplog.text and SECRET_PHONE not in caplog.text and "138****8000" in caplog.text
