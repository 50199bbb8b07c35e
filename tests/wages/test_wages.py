"""根治欠薪 end to end through the API: credit codes checked, a complaint routed to the project's district
人力社保 with the amount, closing refused until the recovery is recorded, the no-payment warning raised
once per period, and the KPIs against a hand count."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import session_scope
from cityops.events.models import Event
from cityops.wages import credit, jobs
from cityops.wages.models import WageWarning
from tests.factories import department_id, unit
from tests.wages.conftest import CODE, DISTRICT, Cast, Wide, act, employer, project


def test_credit_codes_are_checked_by_gb32100() -> None:
    assert credit.problem("91350100M000100Y43") is None  # published examples
    assert credit.problem("91110000600037341L") is None
    assert credit.problem(CODE) is None
    assert "校验位" in (credit.problem("91350100M000100Y44") or "")
    assert "18位" in (credit.problem("9135010") or "")
    assert "字符" in (credit.problem("91350100M000100YO3") or "")  # O is not in the alphabet


def test_bad_codes_refused_then_a_complaint_is_routed_to_district_hrss_and_closed_with_recovery(
    client: TestClient, cast: Cast, wide: Wide, session: Session
) -> None:
    for bad in ("91350100M000100Y44", "123", "91350100M00010OY43"):
        r = client.post(
            "/api/wages/employers",
            headers=cast.district.headers,
            json={"credit_code": bad, "name": "某公司", "unit_id": unit(session, DISTRICT).id},
        )
        assert r.status_code == 422, r.text
        assert r.json()["data"]["field"] == "credit_code" and r.json()["code"] == "wages.invalid_credit_code"
    employer(client, cast.district, session)
    r = client.post(
        "/api/wages/employers",
        headers=cast.district.headers,
        json={"credit_code": CODE.lower(), "name": "重名", "unit_id": unit(session, DISTRICT).id},
    )
    assert r.status_code == 409 and r.json()["data"]["field"] == "credit_code"
    r = client.post(
        "/api/wages/complaints",
        headers=wide.hotline.headers,
        json={"description": "讨薪", "workers": 3, "amount_owed_yuan": 100, "credit_code": "91350100M000100Y44"},
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "credit_code"
    emp = client.get("/api/wages/employers", headers=cast.district.headers).json()[0]
    proj = project(client, cast.district, session, emp["id"])
    r = client.post(
        "/api/wages/complaints",
        headers=wide.hotline.headers,
        json={
            "channel": "hotline",
            "project_id": proj["id"],
            "workers": 12,
            "amount_owed_yuan": 186500.5,
            "description": "12345来电：磁器口安置房二期12名钢筋工被拖欠2025年12月至今工资",
            "reporter_name": "李师傅",
            "reporter_phone": "13900001111",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    eid = case["event_id"]
    assert case["amount_owed_yuan"] == 186500.5 and case["workers"] == 12 and case["channel"] == "hotline"
    ev = client.get(f"/api/events/{eid}", headers=cast.district.headers).json()
    assert ev["owner_name"] == "沙坪坝区人力资源和社会保障局"
    assert ev["owner_department_id"] == department_id(session, DISTRICT, "hrss")
    assert ev["attributes"]["amount_yuan"] == 186500.5 and ev["attributes"]["workers"] == 12
    assert ev["unit_id"] == unit(session, "500106004").id
    # another district's duty officer sees neither the case nor the project
    assert client.get(f"/api/wages/cases/{eid}", headers=wide.other.headers).status_code == 404
    assert client.get(f"/api/wages/projects/{proj['id']}", headers=wide.other.headers).status_code == 404

    for who, action in (
        (cast.district, "accept"),
        (cast.district, "dispatch"),
        (cast.hrss, "sign"),
        (cast.hrss, "start"),
    ):
        assert act(client, who.headers, eid, action).status_code == 200, action
    assert act(client, cast.hrss.headers, eid, "report", note="已约谈施工单位，工资已由专户代发").status_code == 200
    assert act(client, cast.district.headers, eid, "verify", note="工人确认到账").status_code == 200
    refused = act(client, cast.district.headers, eid, "close")
    assert refused.status_code == 422 and refused.json()["code"] == "wages.recovery_required"
    assert refused.json()["data"]["field"] == "amount_recovered_yuan"

    r = client.post(
        f"/api/wages/cases/{eid}/recovery",
        headers=cast.hrss.headers,
        json={"amount_recovered_yuan": 186500.5, "paid_on": "2026-03-01", "workers_paid": 12},
    )
    assert r.status_code == 200, r.text
    assert act(client, cast.district.headers, eid, "close").status_code == 200
    done = client.get(f"/api/wages/cases/{eid}", headers=cast.hrss.headers).json()
    assert done["event_status"] == "closed" and done["amount_recovered_yuan"] == 186500.5
    assert done["paid_on"] == "2026-03-01"
    timeline = client.get(f"/api/events/{eid}", headers=cast.district.headers).json()["timeline"]
    assert any(t["action"] == "wage_recovery" and "186,500.50" in t["note"] for t in timeline)

    page = client.get(f"/api/wages/employers/{emp['id']}", headers=cast.district.headers).json()
    assert [c["event_id"] for c in page["cases"]] == [eid] and page["projects"][0]["id"] == proj["id"]


def test_no_payment_warning_raised_once_per_period_and_other_channels_get_cases(
    client: TestClient, cast: Cast, session: Session, factory: sessionmaker[Session]
) -> None:
    emp = employer(client, cast.district, session)
    proj = project(client, cast.district, session, emp["id"], account_opened_on="2026-01-01")
    r = client.post(
        f"/api/wages/projects/{proj['id']}/payments",
        headers=cast.hrss.headers,
        json={"paid_on": "2026-01-20", "amount_yuan": 96000, "workers": 20, "wage_month": "2025-12"},
    )
    assert r.status_code == 201, r.text
    try:
        clock.freeze(datetime(2026, 2, 15, 2, 0, tzinfo=UTC))  # 26 days after the payment: quiet
        with session_scope(factory) as s:
            assert jobs.watch_accounts(s, clock.now()) == 0
        clock.freeze(datetime(2026, 2, 21, 2, 0, tzinfo=UTC))  # 32 days: one warning
        with session_scope(factory) as s:
            assert jobs.watch_accounts(s, clock.now()) == 1
        clock.freeze(datetime(2026, 2, 22, 2, 0, tzinfo=UTC))  # the same period: nothing new
        with session_scope(factory) as s:
            assert jobs.watch_accounts(s, clock.now()) == 0
            warning = s.scalars(select(WageWarning)).one()
            ev = s.get(Event, warning.event_id)
            assert ev is not None and "专户" in ev.description
            assert ev.owner_department_id == department_id(s, DISTRICT, "hrss")
        clock.freeze(datetime(2026, 3, 24, 2, 0, tzinfo=UTC))  # a second whole period: a second warning
        with session_scope(factory) as s:
            assert jobs.watch_accounts(s, clock.now()) == 1
    finally:
        clock.set_source(None)
    got = client.get(f"/api/wages/projects/{proj['id']}", headers=cast.district.headers).json()
    assert [c["kind"] for c in got["cases"]] == ["warning", "warning"]
    assert got["payments"][0]["amount_yuan"] == 96000 and got["project"]["last_paid_on"] == "2026-01-20"

    # a wage report through the plain event intake (the citizen form, Open311) gets its case too
    from tests.plans.conftest import drain

    r = client.post(
        "/api/events",
        headers=cast.district.headers,
        json={
            "category": "labour.wage_arrears",
            "source": "citizen",
            "description": "市民来信：某工地拖欠工资",
            "unit_code": "500106004",
            "attributes": {"amount_yuan": 8800, "workers": 2, "credit_code": CODE},
        },
    )
    assert r.status_code in (200, 201), r.text
    drain(factory)  # the worker delivers event.received to the wages subscriber
    case = client.get(f"/api/wages/cases/{r.json()['id']}", headers=cast.district.headers).json()
    assert case["employer_id"] == emp["id"] and case["amount_owed_yuan"] == 8800 and case["workers"] == 2


def test_a_wage_report_that_arrives_closed_gets_no_case(
    client: TestClient, factory: sessionmaker[Session], cast: Cast
) -> None:
    """Imported closed history (the AI's training corpus) has nothing to follow up: no case, so the wage
    figures count no closure without a recovery; an open report of the same import gets its case."""
    from cityops.core.actor import system_actor
    from cityops.events.bulk import Closure, close_many
    from cityops.events.intake import IntakeItem, intake_many
    from cityops.wages.models import WageCase
    from tests.plans.conftest import drain

    def item() -> IntakeItem:
        return IntakeItem(
            category="labour.wage_arrears",
            source="import",
            description="工地拖欠工资",
            address="沙坪坝区",
            attributes={"amount_yuan": 1, "workers": 1},
        )

    with session_scope(factory) as s:
        actor = system_actor("system:import")
        closed, still_open = intake_many(s, actor, [item(), item()])
        assert closed.event_id is not None and still_open.event_id is not None
        close_many(s, actor, [Closure(closed.event_id, clock.now())], note="历史办结")
    drain(factory)
    with session_scope(factory, write=False) as s:
        cases = set(s.scalars(select(WageCase.event_id)))
    assert still_open.event_id in cases and closed.event_id not in cases


def test_a_wage_reports_amount_and_count_are_bounded_and_a_case_always_fits(
    client: TestClient, factory: sessionmaker[Session], cast: Cast
) -> None:
    """拖欠金额 and 涉及人数 are refused beside their field when no real report has them (a count of 2.5
    people, 10^30 yuan); a case made from attributes stored without those bounds still fits its columns,
    so the subscriber never fails on every retry."""
    from cityops.events.models import Event
    from cityops.wages.models import WageCase
    from tests.plans.conftest import drain

    def report(attributes: Mapping[str, float]) -> Response:
        body = {
            "category": "labour.wage_arrears",
            "source": "citizen",
            "description": "市民来信：某工地拖欠工资",
            "unit_code": "500106004",
            "attributes": attributes,
        }
        return client.post("/api/events", headers=cast.district.headers, json=body)

    for attributes, field in (
        ({"amount_yuan": 1e30, "workers": 3}, "attributes.amount_yuan"),
        ({"amount_yuan": -5, "workers": 3}, "attributes.amount_yuan"),
        ({"amount_yuan": 100, "workers": 2.5}, "attributes.workers"),
        ({"amount_yuan": 100, "workers": 0}, "attributes.workers"),
    ):
        r = report(attributes)
        assert r.status_code == 422 and r.json()["data"]["field"] == field, (attributes, r.text)
    r = report({"amount_yuan": 100, "workers": 3})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    with session_scope(factory) as s:  # as a category edited to drop its bounds would have let in
        ev = s.get(Event, event_id)
        assert ev is not None
        ev.attributes = {"amount_yuan": 1e30, "workers": 10**12}
    drain(factory)
    with session_scope(factory, write=False) as s:
        case = s.scalar(select(WageCase).where(WageCase.event_id == event_id))
    assert case is not None and case.workers == 2**31 - 1 and case.owed_fen == 10**13
