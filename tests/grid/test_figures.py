"""The grid domain's indicator sources: an 一表通 field aggregated as an indicator (`form`) against a hand
count, and the grid KPIs as runway rows (`grid`) for a street and its district."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.actor import Role
from cityops.events.calendar import CST
from cityops.grid import figures
from cityops.indicators.models import Indicator
from cityops.org.models import OrgLevel, OrgUnit
from tests.factories import Login, login, unit
from tests.grid.conftest import COMMUNITY, OTHER_COMMUNITY, STREET, GridWorld, jpeg, upload
from tests.grid.test_forms import make_two_reports

DISTRICT = "500103"
OTHER_STREET = "500103001"


def _rows(client: TestClient, who: Login, unit_id: int) -> dict[str, dict[str, Any]]:
    """Every runway row of the unit's boards, by indicator code and by name."""
    r = client.get("/api/boards", headers=who.headers, params={"unit_id": unit_id})
    assert r.status_code == 200, r.text
    out: dict[str, dict[str, Any]] = {}
    for board in r.json():
        for runway in board["runways"]:
            for ind in runway["indicators"]:
                out[ind["code"]] = out[ind["name"]] = dict(ind, runway=runway["code"])
    return out


def _record(client: TestClient, who: Login, community_id: int, label: str, values: dict[str, str]) -> None:
    r = client.post(
        "/api/base-records", headers=who.headers, json={"community_id": community_id, "kind": "person", "label": label}
    )
    assert r.status_code == 201, r.text
    r = client.put(f"/api/base-records/{r.json()['id']}/facts", headers=who.headers, json={"values": values})
    assert r.status_code == 200, r.text


def test_a_form_field_is_an_indicator_over_the_viewers_units(
    frozen: clock.FrozenClock, client: TestClient, factory: sessionmaker[Session], session: Session
) -> None:
    frozen.advance(hours=10)  # 20:00 China time: the next China day starts within the tokens' 12 hours
    visits, _ = make_two_reports(client, factory, session)
    duty = login(client, factory, "fi_duty", [Role.dispatcher], unit_code=STREET)
    other_street = unit(session, OTHER_STREET)
    far = session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == other_street.id, OrgUnit.level == OrgLevel.community)
    ).first()
    assert far is not None
    elsewhere = login(client, factory, "fi_far", [Role.dispatcher, Role.leader], unit_code=OTHER_STREET)
    _record(client, duty, unit(session, COMMUNITY).id, "甲", {"age": "82", "lives_alone": "是"})
    _record(client, duty, unit(session, OTHER_COMMUNITY).id, "乙", {"age": "75", "lives_alone": "否"})
    _record(client, duty, unit(session, COMMUNITY).id, "丙", {"lives_alone": "是"})
    _record(client, elsewhere, far.id, "丁", {"age": "90", "lives_alone": "是"})

    leader = login(client, factory, "fi_leader", [Role.leader], unit_code=DISTRICT)
    street_only = login(client, factory, "fi_street_leader", [Role.leader], unit_code=STREET)

    def define(who: Login, **body: object) -> Any:
        return client.post("/api/indicators/form", headers=who.headers, json={"template_id": visits, **body})

    alone = define(leader, name="独居老人数", field="lives_alone", agg="count_eq", equals="是", unit="人")
    assert alone.status_code == 201, alone.text
    assert define(leader, name="平均年龄", field="age", agg="avg", unit="岁").status_code == 201
    assert define(leader, name="今日填报年龄数", field="age", agg="count", period="today", unit="人").status_code == 201
    bad = define(leader, name="独居合计", field="lives_alone", agg="sum")
    assert bad.status_code == 422 and bad.json()["code"] == "form.invalid_indicator_agg"
    assert define(leader, name="x", field="shelter", agg="count").json()["code"] == "form.invalid_indicator_field"
    assert define(duty, name="x", field="age", agg="count").status_code == 403  # not a leader

    session.rollback()  # a fresh snapshot: the indicators were defined through the API
    ids = dict(session.execute(select(Indicator.name, Indicator.id).where(Indicator.source.is_not(None))).all())
    assert _rows(client, leader, unit(session, DISTRICT).id)["独居老人数"]["runway"] == "one_form"

    def value(who: Login, name: str, unit_code: str) -> float | None:
        r = client.get(
            f"/api/indicators/{ids[name]}", headers=who.headers, params={"unit_id": unit(session, unit_code).id}
        )
        assert r.status_code == 200, r.text
        return r.json()["current"]["value"]

    # Hand count. District: 甲 丙 丁 live alone (3); ages 82, 75, 90 -> 82.3333. Street: 甲 丙 (2); 82, 75.
    assert value(leader, "独居老人数", DISTRICT) == 3.0
    assert value(leader, "平均年龄", DISTRICT) == round((82 + 75 + 90) / 3, 4)
    assert value(street_only, "独居老人数", STREET) == 2.0
    assert value(street_only, "平均年龄", STREET) == 78.5
    assert value(street_only, "独居老人数", COMMUNITY) == 2.0  # one community: 甲 丙
    assert value(street_only, "今日填报年龄数", STREET) == 2.0
    frozen.advance(hours=5)  # 01:00 the next China day: no age filled today, the current facts remain
    assert value(street_only, "今日填报年龄数", STREET) == 0.0
    assert value(street_only, "独居老人数", STREET) == 2.0
    # The other street's leader cannot read our street's figure.
    r = client.get("/api/boards", headers=elsewhere.headers, params={"unit_id": unit(session, STREET).id})
    assert r.status_code == 404


def test_grid_kpis_are_runway_rows_for_a_street_and_its_district(
    frozen: clock.FrozenClock, client: TestClient, world: GridWorld, factory: sessionmaker[Session], session: Session
) -> None:
    w = world.worker.headers

    def report(text: str, **extra: object) -> None:
        body = {"category": "city_appearance.exposed_garbage", "description": text, "grid_id": world.grid_id, **extra}
        assert client.post("/api/grid-reports", headers=w, json=body).status_code == 201

    report("垃圾堆放")
    b, a = upload(client, world.worker, jpeg()), upload(client, world.worker, jpeg())
    report("纸箱散落", on_spot=True, photo_ids=[b["file_id"]], after_photo_ids=[a["file_id"]], note="已清理")
    report("广告乱贴")
    leader = login(client, factory, "gk_leader", [Role.leader], unit_code=DISTRICT)
    street, district = unit(session, STREET), unit(session, DISTRICT)
    today = clock.now().astimezone(CST).date()
    expected = client.get(
        "/api/grid-kpis",
        headers=leader.headers,
        params={"unit_id": street.id, "first": (today - timedelta(days=29)).isoformat(), "last": today.isoformat()},
    ).json()
    assert expected["reports"] == 3 and expected["on_spot"] == 1
    for where in (street, district):
        rows = _rows(client, leader, where.id)
        row = rows["grid_on_spot_rate"]
        assert row["runway"] == "grid_work" and row["latest"]["value"] == round(1 / 3, 4)
        assert row["display"] == "33.3%" and row["scope_name"] == where.name
        assert rows["grid_reports_per_worker"]["latest"]["value"] == expected["reports_per_worker"] == 3.0
        assert rows["grid_valid_report_rate"]["display"] == "100.0%"
    # The district's indicator page drills down to its streets: ours has the figure, the others none.
    ind_id = session.scalar(select(Indicator.id).where(Indicator.code == "grid_on_spot_rate"))
    detail = client.get(f"/api/indicators/{ind_id}", headers=leader.headers, params={"unit_id": district.id}).json()
    drill = {d["unit_id"]: d["display"] for d in detail["drill_down"]}
    assert drill[street.id] == "33.3%" and drill[unit(session, OTHER_STREET).id] == "—"
    # The periodic computation asks the source for the owner and every street: only units with grid work
    # (and the owner) get a value, so the city's other streets get no empty rows.
    session.rollback()  # a fresh snapshot: the reports came through the API
    ind = session.scalars(select(Indicator).where(Indicator.code == "grid_on_spot_rate")).one()
    city = session.scalars(select(OrgUnit).where(OrgUnit.level == OrgLevel.city)).one()
    streets = list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id == district.id)))
    values = figures.grid_values(session, ind, [city, district, *streets], today, today)
    assert set(values) == {city.id, district.id, street.id} and values[street.id] == round(1 / 3, 4)
