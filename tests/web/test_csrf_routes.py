"""Every form a page posts is refused without its CSRF token: the test walks the app's routes, so a page route
added without `PageForm` (or `SessionForm`, `CitizenForm`) fails here. The token is checked before the form's
fields, so a forged post learns nothing from a 422 and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.app import create_app
from cityops.core.actor import Role
from cityops.core.db import make_engine
from cityops.core.settings import Settings
from cityops.risks import service as points
from cityops.runtime import session_factory
from tests.conftest import Templates
from tests.factories import PASSWORD, login, make_user
from tests.risks.conftest import STREET, new_point
from tests.web.test_pages import _csrf

# Token-authenticated interfaces (bearer tokens, Open311 API keys): no cookie, so no CSRF to forge.
NOT_PAGES = ("/api/", "/open311/")


def _page_posts() -> list[str]:
    """Every route of the app that changes something and is not a token-authenticated API."""
    app = create_app(Settings(env="test", database_url="sqlite://"))
    found = [
        f"{method} {r.path}"
        for r in iter_route_contexts(app.routes)
        for method in sorted((r.methods or set()) - {"GET", "HEAD", "OPTIONS"})
        if not r.path.startswith(NOT_PAGES)
    ]
    app.state.engine.dispose()
    return found


PAGE_POSTS = _page_posts()


def test_the_walk_finds_the_page_forms() -> None:
    # A walk that found nothing would pass every case below; these are some of the forms it must see.
    assert len(PAGE_POSTS) >= 49
    for known in ("POST /login", "POST /public/report", "POST /events/{event_id}/act", "POST /m/report"):
        assert known in PAGE_POSTS


@pytest.fixture(scope="module")
def staff_client(templates: Templates) -> Iterator[TestClient]:
    """One signed-in staff member for the whole walk (a login per route would only repeat itself)."""
    url = templates.clone("chongqing")
    settings = Settings(env="test", database_url=url)
    engine = make_engine(url)
    with TestClient(create_app(settings, engine=engine)) as client:
        make_user(session_factory(engine, settings), "csrf_walk", [Role.dispatcher, Role.leader], unit_code=STREET)
        r = client.post("/login", data={"username": "csrf_walk", "password": PASSWORD, "csrf_token": _csrf(client)})
        assert r.status_code == 200 and "cityops_session" in client.cookies
        yield client
    engine.dispose()
    templates.drop(url)


@pytest.mark.parametrize("route", PAGE_POSTS)
def test_a_page_post_without_its_csrf_token_is_refused(staff_client: TestClient, route: str) -> None:
    method, path = route.split(" ", 1)
    url = re.sub(r"\{[^}]+\}", "1", path)
    for data in ({}, {"csrf_token": "forged"}):
        r = staff_client.request(method, url, data=data, follow_redirects=False)
        assert r.status_code == 403, f"{route} with {data}: {r.status_code} {r.text[:200]}"
        assert "表单已过期，请刷新页面" in r.text  # the page says why, in the page's language
    assert "cityops_session" in staff_client.cookies  # still signed in: /logout did not go through either


def test_a_forged_post_with_an_invalid_field_is_refused_before_its_fields(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    duty = login(client, factory, "csrf_duty", [Role.dispatcher, Role.leader], unit_code=STREET)
    point = new_point(client, duty, session)
    token = _csrf(client)
    r = client.post("/login", data={"username": "csrf_duty", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200
    url = f"/risks/points/{point['id']}/reassess"
    fields = {"consequence": "2", "reasons": "雨后复核，裂隙未扩展"}
    before = _assessments(factory, point["id"])

    forged = client.post(url, data={**fields, "likelihood": "9", "csrf_token": "forged"})
    assert forged.status_code == 403  # not 422: the token is checked before the fields
    forged = client.post(url, data={**fields, "likelihood": "2", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert _assessments(factory, point["id"]) == before  # nothing changed

    invalid = client.post(url, data={**fields, "likelihood": "9", "csrf_token": token})
    assert invalid.status_code == 422  # with its token, the same invalid field is reported as such
    done = client.post(url, data={**fields, "likelihood": "2", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert _assessments(factory, point["id"]) == before + 1


def _assessments(factory: sessionmaker[Session], point_id: int) -> int:
    with factory() as s:  # a session of its own: the test's session still reads its first snapshot
        return len(points.assessments(s, point_id))
