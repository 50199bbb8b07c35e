"""App bundles: uninstalled down to an empty platform and installed again through the API (categories,
duties, plans and KPIs back), installed twice with no change, upgraded keeping a city's edited deadline and
a street's plan override, and refused (409, naming the events) while live events depend on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps import bundles
from cityops.apps.bundle_files import load, shipped_root
from cityops.apps.models import App, InstalledBundle
from cityops.core import audit
from cityops.core.actor import Role, system_actor
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from cityops.events import catalogue
from cityops.events.models import Category, Duty
from cityops.indicators.models import Indicator, IndicatorValue
from cityops.plans import service as plans
from cityops.plans.models import Plan
from cityops.risks.models import RiskCategory
from cityops.sensing.models import DeviceType
from tests.factories import login, report, unit

ADMIN = system_actor("system:test")
REMOVE_ORDER = [
    "wages",
    "muck",
    "direct_report",
    "rockfall",
    "highrise_fire",
    "lifeline",
    "economy",
    "platform",
    "minhu",
]


def _counts(s: Session) -> dict[str, int]:
    return {
        "categories": int(s.scalar(select(func.count(Category.id)).where(Category.active.is_(True))) or 0),
        "duties": int(s.scalar(select(func.count(Duty.id))) or 0),
        "plans": int(s.scalar(select(func.count(Plan.id))) or 0),
        "indicators": int(s.scalar(select(func.count(Indicator.id))) or 0),
        "device_types": int(s.scalar(select(func.count(DeviceType.code))) or 0),
        "risk_categories": int(s.scalar(select(func.count(RiskCategory.id))) or 0),
    }


def test_install_on_an_empty_platform_then_twice_changes_nothing(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    with session_scope(factory) as s:
        for key in REMOVE_ORDER:
            bundles.uninstall(s, ADMIN, key)
    with session_scope(factory) as s:
        assert set(_counts(s).values()) == {0}  # the platform is empty: every piece came from a bundle
    admin = login(client, factory, "apps_admin", [Role.sysadmin], unit_code="500000")
    dry = client.post("/api/bundles/minhu/install?dry_run=true", headers=admin.headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"] == {"add": 61 + 50 + 7 + 2} and dry.json()["dry_run"] is True
    with session_scope(factory) as s:
        assert _counts(s)["categories"] == 0  # a dry run writes nothing
    refused = client.post("/api/bundles/direct_report/install", headers=admin.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "apps.requires_missing"
    for key in [
        "minhu",
        "rockfall",
        "highrise_fire",
        "lifeline",
        "direct_report",
        "economy",
        "platform",
        "wages",
        "muck",
    ]:
        r = client.post(f"/api/bundles/{key}/install", headers=admin.headers)
        assert r.status_code == 200, r.text
        assert set(r.json()["counts"]) == {"add"}
    with session_scope(factory) as s:
        got = _counts(s)
        assert got == {
            "categories": 61 + 1 + 3,  # 民呼我为's, 欠薪预警, the three 渣土 violations
            "duties": 50 + 1 + 3,
            "plans": 5,
            "indicators": 21 + 97 + 3 + 5,  # the default boards, 经济运行, the ledger runway, the grid KPIs
            "device_types": 8 + 3,  # and a muck truck's three GPS channels
            "risk_categories": 17,
        }
        duty = s.execute(
            select(Duty.level, Duty.department_code)
            .join(Category, Category.id == Duty.category_id)
            .where(Category.code == "municipal.streetlight_fault")
        ).one()
        assert tuple(duty) == ("district", "urban_management")
        assert s.scalars(select(Plan.spec).where(Plan.key == "rockfall")).one()["name"] == "危岩崩塌应急预案"
        quoted = s.scalars(
            select(IndicatorValue.provenance)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .where(Indicator.code == "apps_connected", IndicatorValue.period_key == "2025")
        ).one()
        assert quoted["target"]["quote"] == "力争今年4月贯通实战应用超过200个、年底超过260个"
        apps = {a.code: a.status for a in s.scalars(select(App))}
        assert apps["minhu"] == "listed" and "platform" not in apps  # installing entered it in the ledger
        audit.sequence(s)
        before = s.scalar(select(func.count(AuditEntry.seq)))
    again = client.post("/api/bundles/minhu/install", headers=admin.headers)
    assert again.status_code == 200 and again.json()["changes"] == []
    assert again.json()["counts"] == {"same": 120}
    with session_scope(factory) as s:
        audit.sequence(s)
        assert s.scalar(select(func.count(AuditEntry.seq))) == before
        assert _counts(s) == got
    listing = client.get("/api/bundles", headers=admin.headers).json()
    assert {b["key"]: b["installed"] for b in listing}["economy"] == 1


def _bundle_v2(tmp_path: Path, key: str, edit: dict[str, object]) -> Path:
    folder = tmp_path / key
    shutil.copytree(str(shipped_root() / key), folder)
    meta = yaml.safe_load((folder / "bundle.yaml").read_text(encoding="utf-8"))
    meta["version"] = 2
    (folder / "bundle.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    for name, fn in edit.items():
        items = yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))
        fn(items)  # type: ignore[operator]
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return folder


def test_upgrade_keeps_an_edited_deadline_and_a_streets_plan_override(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_scope(factory) as s:  # the city edits one deadline; a street overrides a plan
        cat = s.scalars(select(Category).where(Category.code == "city_appearance.street_vending")).one()
        catalogue.update_category(
            s, ADMIN, cat, {"deadlines": {**cat.deadlines, "normal": {**cat.deadlines["normal"], "handle": "5wd"}}}
        )
        street = unit(s, "500103003")
        plans.save(s, ADMIN, "rockfall", street, {"steps": [{"key": "cordon", "deadline": "20m"}]})

    def v2_categories(items: list[dict[str, object]]) -> None:
        for i in items:
            if i["code"] == "city_appearance.street_vending":
                i["keywords"] = [*i["keywords"], "夜市"]  # type: ignore[misc]
                i["deadlines"]["normal"]["handle"] = "2wd"  # type: ignore[index]

    def v2_plans(items: list[dict[str, object]]) -> None:
        for i in items:
            if i["key"] == "rockfall":
                i["name"] = "危岩崩塌及滑坡应急预案"

    minhu = load(str(_bundle_v2(tmp_path, "minhu", {"categories": v2_categories})))
    direct = load(str(_bundle_v2(tmp_path, "direct_report", {"plans": v2_plans})))
    with session_scope(factory) as s:
        dry = bundles.apply(s, ADMIN, minhu, upgrade=True, dry_run=True).as_dict()
    assert dry["counts"]["change"] == 1
    change = next(c for c in dry["changes"] if c["key"] == "city_appearance.street_vending")
    assert change["fields"] == ["keywords"] and change["kept"] == ["deadlines"]
    with session_scope(factory) as s:
        bundles.apply(s, ADMIN, minhu, upgrade=True)
        bundles.apply(s, ADMIN, direct, upgrade=True)
    with session_scope(factory) as s:
        cat = s.scalars(select(Category).where(Category.code == "city_appearance.street_vending")).one()
        assert "夜市" in cat.keywords and cat.deadlines["normal"]["handle"] == "5wd"
        assert s.get(InstalledBundle, "minhu").version == 2
        resolved = plans.resolve(s, "rockfall", unit(s, "500103003").path)
        assert resolved is not None and resolved.plan.name == "危岩崩塌及滑坡应急预案"
        assert next(st for st in resolved.plan.steps if st.key == "cordon").deadline == "20m"
        street_rows = s.scalars(select(Plan).where(Plan.key == "rockfall", Plan.level == "street")).all()
        assert len(street_rows) == 1


def test_uninstall_refuses_while_open_events_depend_on_it(client: TestClient, factory: sessionmaker[Session]) -> None:
    citizen = login(client, factory, "apps_citizen", [Role.citizen])
    ev = report(client, citizen.headers, category="city_appearance.street_vending", description="夜里占道经营")
    admin = login(client, factory, "apps_admin2", [Role.app_admin], unit_code="500000")
    needed = client.post("/api/bundles/minhu/uninstall", headers=admin.headers)
    assert needed.status_code == 409 and needed.json()["code"] == "apps.required_by"
    for key in ["wages", "muck", "direct_report", "rockfall", "highrise_fire", "lifeline"]:
        assert client.post(f"/api/bundles/{key}/uninstall", headers=admin.headers).status_code == 200
    r = client.post("/api/bundles/minhu/uninstall", headers=admin.headers)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "apps.bundle_in_use"
    assert "占道经营" in body["detail"] and ev["ref"] in body["detail"]
    assert any(ev["ref"] in d for d in body["data"]["dependents"])
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "minhu") is not None  # nothing was removed
    archived = client.post("/api/bundles/minhu/uninstall?archive=true", headers=admin.headers)
    assert archived.status_code == 200, archived.text
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "minhu").status == "archived"
        assert s.scalar(select(func.count(Category.id))) == 61  # the content stays for the open event
    back = client.post("/api/bundles/minhu/install", headers=admin.headers)
    assert back.status_code == 200 and back.json()["version_from"] is None
    assert client.get("/api/bundles", headers=citizen.headers).status_code == 403
