"""Address text → district and street over a varied set of realistic addresses (tests/org/addresses.csv:
landmarks, roads, old county names, with and without the district, generic names alone). An address that
names its district never resolves outside it; a generic or shared name alone goes to triage with candidates."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.events.models import Event
from cityops.org.models import OrgLevel, OrgUnit
from tests.factories import login, report

ADDRESSES = list(csv.DictReader((Path(__file__).parent / "addresses.csv").open(encoding="utf-8")))


def _names(session: Session) -> dict[int, str]:
    rows = session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.level != OrgLevel.grid))
    return {int(i): str(n) for i, n in rows}


def _outcome(body: dict[str, object], names: dict[int, str]) -> tuple[str | None, str | None, bool]:
    triage = body["method"] in ("triage", "fallback")
    district, street = body.get("district_id"), body.get("street_id")
    return (
        names[district] if isinstance(district, int) else None,
        names[street] if isinstance(street, int) else None,
        triage,
    )


def test_realistic_addresses_resolve_to_the_right_district_and_street(
    client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    assert len(ADDRESSES) >= 60
    h = login(client, factory, "geo_addr", [Role.dispatcher], unit_code="500000").headers
    names = _names(session)
    districts = {n for n in names.values() if n.endswith(("区", "县"))}
    right, wrong, outside_named = 0, [], []
    for row in ADDRESSES:
        r = client.post("/api/org/resolve", headers=h, json={"text": row["text"], "fallback": True})
        assert r.status_code == 200, (row["text"], r.text)
        district, street, triage = _outcome(r.json(), names)
        if row["expect"] == "triage":
            good = triage or (bool(row["district"]) and district == row["district"])
        else:
            good = not triage and district == row["district"] and (not row["street"] or street == row["street"])
        right += good
        if not good:
            wrong.append((row["text"], district, street))
        named = [d for d in districts if d in row["text"]]
        if named and not triage and district not in named:
            outside_named.append((row["text"], district))
    share = right / len(ADDRESSES)
    print(f"\naddress resolution: {right}/{len(ADDRESSES)} right ({share:.1%}); misses: {wrong}")
    assert outside_named == []  # naming 沙坪坝区 (or 城口县 …) keeps the match inside it
    assert share >= 0.95, wrong
    # the one known miss: the airport's name says 江北 but it lies in 渝北区 (no landmark gazetteer exists)
    assert [w[0] for w in wrong] in ([], ["江北国际机场T3航站楼"])


def test_the_reported_misplacements_are_fixed(client: TestClient, factory: sessionmaker[Session]) -> None:
    h = login(client, factory, "geo_issue", [Role.dispatcher], unit_code="500000").headers
    square = client.post("/api/org/resolve", headers=h, json={"text": "沙坪坝区三峡广场"}).json()
    assert square["name"] == "沙坪坝区" and "巫溪" not in square["reason"]
    airport = client.post("/api/org/resolve", headers=h, json={"text": "江北国际机场T3航站楼"}).json()
    assert airport["name"] == "江北区" and "万州" not in airport["reason"]
    riverside = client.post("/api/org/resolve", headers=h, json={"text": "洪崖洞附近嘉陵江滨江路", "fallback": True})
    body = riverside.json()
    assert body["method"] == "triage" and body["confidence"] <= 0.3 and body["level"] == "city"
    assert any(c["district"] == "长寿区" for c in body["candidates"])  # shown as a candidate, not chosen
    strict = client.post("/api/org/resolve", headers=h, json={"text": "洪崖洞附近嘉陵江滨江路"})
    assert strict.status_code == 422 and strict.json()["data"]["candidates"]


def test_a_report_naming_its_district_lands_there(client: TestClient, factory: sessionmaker[Session]) -> None:
    citizen = login(client, factory, "geo_citizen", [Role.citizen])
    created = report(client, citizen.headers, address="沙坪坝区三峡广场", description="三峡广场路灯不亮")
    generic = report(client, citizen.headers, address="滨江路", description="滨江路井盖缺失")
    with factory() as s:
        square = s.get(Event, created["id"])
        riverside = s.get(Event, generic["id"])
        assert square is not None and riverside is not None
        district = s.scalar(select(OrgUnit).where(OrgUnit.name == "沙坪坝区"))
        assert district is not None and square.unit_path.startswith(district.path)
        assert riverside.unit_path.count("/") == 2  # the city: triage by the centre, not 长寿区
