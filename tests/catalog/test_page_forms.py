"""Catalogue pages without a browser: bad form input answers a Chinese message beside the form, never a crash;
another street's request page is 404; the pages speak English on request."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.catalog.conftest import World, request_body
from tests.factories import page_login


def test_bad_form_input_is_explained_in_chinese(client: TestClient, world: World) -> None:
    token = page_login(client, world.street.username)
    url = f"/catalog/entries/{world.entry_id}/request"
    short = client.post(
        url, data={"purpose": "看看", "use_from": "2026-01-01", "use_until": "2026-12-31", "csrf_token": token}
    )
    assert short.status_code == 422 and "请填写用途" in short.text
    bad_date = client.post(
        url, data={"purpose": "街道研判使用", "use_from": "明天", "use_until": "", "csrf_token": token}
    )
    assert bad_date.status_code == 422 and "日期" in bad_date.text
    reversed_ = client.post(
        url, data={"purpose": "街道研判使用", "use_from": "2026-12-31", "use_until": "2026-01-01", "csrf_token": token}
    )
    assert reversed_.status_code == 422 and "结束日期早于开始日期" in reversed_.text
    wrong_field = client.post(
        url,
        data={
            "purpose": "街道研判使用",
            "fields": ["nope"],
            "use_from": "2026-01-01",
            "use_until": "2026-12-31",
            "csrf_token": token,
        },
    )
    assert wrong_field.status_code == 422 and "不予共享" in wrong_field.text
    kept = re.search(r'name="purpose"[^>]*>([^<]*)<', wrong_field.text)
    assert kept is not None and kept.group(1).strip() == "街道研判使用"  # what was typed stays in the form
    blank = client.post(
        f"/catalog/entries/{world.entry_id}/corrections", data={"field": "day", "text": " ", "csrf_token": token}
    )
    assert blank.status_code == 422 and "请写明纠错内容" in blank.text
    assert client.get(f"/catalog/entries/{world.entry_id}?lang=en").text.count("Request this data") == 1

    r = client.post("/api/catalog/requests", headers=world.street.headers, json=request_body(world.entry_id, ["day"]))
    rid = r.json()["id"]
    token = page_login(client, world.provider.username)
    refuse = client.post(f"/catalog/requests/{rid}/answer", data={"decision": "refuse", "csrf_token": token})
    assert refuse.status_code == 422 and "不予同意须写明理由" in refuse.text
    inbox = client.get("/catalog/requests?box=inbox")
    assert "北京时间" in inbox.text and r.json()["ref"] in inbox.text

    page_login(client, world.other_street.username)
    assert client.get(f"/catalog/requests/{rid}").status_code == 404
    assert client.get("/catalog/components").status_code == 200
