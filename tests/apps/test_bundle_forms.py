"""The bundle forms of /apps without a browser: a made-up action, an unknown bundle and an admin below the
city each get the page again with the reason in Chinese beside the table and a 4xx, and nothing changes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps.models import InstalledBundle
from cityops.core.actor import Role
from cityops.core.db import session_scope
from tests.factories import make_user, page_login


def _error(html: str) -> str:
    found = re.search(r'id="bundle-error">([^<]*)<', html)
    assert found is not None, "no reason shown beside the bundles"
    return found.group(1)


def test_bad_bundle_forms_are_refused_with_the_reason_and_change_nothing(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    make_user(factory, "bndf_admin", [Role.app_admin], unit_code="500000")
    token = page_login(client, "bndf_admin")
    bogus = client.post("/apps/bundles/wages", data={"action": "explode", "confirm": "true", "csrf_token": token})
    assert bogus.status_code == 422 and "未知操作" in _error(bogus.text)
    unknown = client.post("/apps/bundles/nosuch", data={"action": "install", "csrf_token": token})
    assert unknown.status_code == 404 and "没有内置应用包" in _error(unknown.text)
    again = {"action": "install", "confirm": "true", "csrf_token": token}
    twice = client.post("/apps/bundles/wages", data=again, follow_redirects=False)
    assert twice.status_code == 303  # installing the installed version again changes nothing and is no error
    maybe = {"action": "uninstall", "archive": "也许", "csrf_token": token}
    not_a_bool = client.post("/apps/bundles/wages", data=maybe)
    assert not_a_bool.status_code == 422 and "archive" in not_a_bool.text

    make_user(factory, "bndf_district", [Role.app_admin], unit_code="500103")  # a district's admin
    token = page_login(client, "bndf_district")
    below = client.post("/apps/bundles/wages", data={"action": "uninstall", "confirm": "true", "csrf_token": token})
    assert below.status_code == 403 and "仅市级管理员" in _error(below.text)
    assert "bundle-list" not in below.text  # the ledger, without the bundles it may not change
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "wages").status == "installed"
