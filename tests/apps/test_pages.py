"""应用台账 in Chromium: the ledger list filters; an application's page moves its status with a reason
(上线), refuses 贯通实战 without use at three levels and says which level is missing, adds and removes a
deployment, and shows the history with who moved it and why; a city admin previews a bundle's change, confirms
it (archive, install again, uninstall) and is told why one is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.apps import bundle_files
from cityops.apps.models import BundleItem, InstalledBundle
from cityops.core.actor import Role
from cityops.core.db import session_scope
from cityops.events.models import Category
from tests.factories import PASSWORD, login, make_user, report
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_the_ledger_page_filters_and_moves_an_application(
    client: TestClient, factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    citizen = login(client, factory, "ledp_citizen", [Role.citizen])
    report(client, citizen.headers, category="traffic.bus_service", description="公交车长期晚点")  # the city's
    report(client, citizen.headers, category="municipal.streetlight_fault", description="路灯不亮")  # a district's
    make_user(factory, "ledp_admin", [Role.app_admin, Role.dispatcher], unit_code="500000")
    log_in(page, live_url, "ledp_admin", PASSWORD)
    page.click("text=应用台账")
    expect(page.locator("#app-list tbody tr")).to_have_count(8)
    expect(page.locator("#app-figures [data-status=listed] .value")).to_have_text("8")
    expect(page.locator("#bundle-list tr[data-bundle=platform]")).to_contain_text("v1")
    expect(page.locator("#bundle-list tr[data-bundle=minhu]")).to_contain_text("事项分类 61")
    shot(page, "app-ledger-list.png")
    page.fill("#app-filters input[name=q]", "生命线")
    page.click("#app-filter-button")
    expect(page.locator("#app-list tbody tr")).to_have_count(1)
    expect(page.locator("#app-list")).to_contain_text("城市生命线")
    expect(page.locator("#app-list")).not_to_contain_text("lifeline")  # its bundle by name, not by key
    page.fill("#app-filters input[name=q]", "")
    page.select_option("#app-filters select[name=status]", "launched")
    page.click("#app-filter-button")
    expect(page.locator("#app-list")).to_contain_text("暂无")
    page.select_option("#app-filters select[name=status]", "listed")
    page.select_option("#app-filters select[name=family]", "none")
    page.click("#app-filter-button")
    expect(page.locator("#app-list tbody tr")).to_have_count(8)

    page.click("#app-list a:text('民呼我为')")
    expect(page.locator("#app-status")).to_have_text("入账")
    expect(page.locator("#app-history tbody tr")).to_have_count(2)
    page.select_option("#status-form select[name=action]", "launch")
    page.fill("#status-form textarea[name=reason]", "三级中心已接入，市级验收通过")
    page.click("#status-submit")
    expect(page.locator("#app-status")).to_have_text("上线")
    expect(page.locator("#app-history tbody tr").first).to_contain_text("三级中心已接入，市级验收通过")
    expect(page.locator("#app-history tbody tr").first).to_contain_text("ledp_admin")
    expect(page.locator("#app-usage tr[data-level=city]")).to_contain_text("市级")
    expect(page.locator("#app-connected")).to_contain_text("缺少：镇街")

    page.select_option("#status-form select[name=action]", "connect")
    page.fill("#status-form textarea[name=reason]", "申请认定贯通实战")
    page.click("#status-submit")
    expect(page.locator("p.error")).to_contain_text("不能认定贯通实战")
    expect(page.locator("#app-status")).to_have_text("上线")

    page.fill("#deploy-form input[name=unit_code]", "500103003")
    page.click("#deploy-form button")
    expect(page.locator("#app-deployments tr[data-unit=解放碑街道]")).to_contain_text("镇街")
    page.fill("#deploy-form input[name=unit_code]", "999")
    page.click("#deploy-form button")
    expect(page.locator("p.error")).to_contain_text("单位代码不存在")
    page.locator("#app-deployments tr[data-unit=解放碑街道] button").click()
    expect(page.locator("#app-deployments")).to_contain_text("尚未登记部署单位")
    shot(page, "app-ledger.png")


def test_a_bundle_is_previewed_then_archived_installed_again_and_uninstalled_from_the_ledger_page(
    factory: sessionmaker[Session], live_url: str, page: Page
) -> None:
    make_user(factory, "bndp_admin", [Role.app_admin], unit_code="500000")
    log_in(page, live_url, "bndp_admin", PASSWORD)
    page.goto(f"{live_url}/apps")
    wages = page.locator("#bundle-list tr[data-bundle=wages] td:nth-child(2)")
    expect(wages).to_have_text("v1")

    # Uninstall keeping the content: the preview lists every item as kept, and nothing happens until confirmed.
    page.check("#bundle-list tr[data-bundle=wages] .bundle-uninstall input[name=archive]")
    page.click("#bundle-list tr[data-bundle=wages] .bundle-uninstall button")
    expect(page.locator("#bundle-preview h3")).to_have_text("预览：卸载 根治欠薪")
    expect(page.locator("#bundle-changes tr[data-action=retain]").first).to_contain_text("保留（仍在使用）")
    expect(page.locator("#bundle-changes tr[data-action=remove]")).to_have_count(0)
    expect(wages).to_have_text("v1")
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "wages").status == "installed"
    page.click("#bundle-confirm button")
    expect(page.locator("#bundle-notice")).to_have_text("根治欠薪：已卸载")
    expect(wages).to_have_text("未安装 (已归档 v1)")
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "wages").status == "archived"

    # Installed again from the archive.
    page.click("#bundle-list tr[data-bundle=wages] .bundle-install button")
    expect(page.locator("#bundle-preview h3")).to_have_text("预览：安装 根治欠薪 v1")
    page.click("#bundle-confirm button")
    expect(page.locator("#bundle-notice")).to_have_text("根治欠薪：已安装")
    expect(wages).to_have_text("v1")

    # Uninstalled for good: the preview says what goes; afterwards the bundle and its content are gone.
    economy = page.locator("#bundle-list tr[data-bundle=economy] td:nth-child(2)")
    page.click("#bundle-list tr[data-bundle=economy] .bundle-uninstall button")
    removed = page.locator("#bundle-changes tr[data-action=remove]")
    expect(removed.first).to_contain_text("移除")
    with session_scope(factory) as s:
        items = s.scalar(select(func.count()).select_from(BundleItem).where(BundleItem.bundle_key == "economy")) or 0
    expect(page.locator("#bundle-preview p").first).to_have_text(f"移除 {items}")
    expect(removed).to_have_count(min(items, 200))  # a long diff lists its first 200 and says how many more
    if items > 200:
        expect(page.locator("#bundle-preview")).to_contain_text(f"另有 {items - 200} 条未列出")
    page.click("#bundle-confirm button")
    expect(page.locator("#bundle-notice")).to_have_text("经济运行监测：已卸载")
    expect(economy).to_have_text("未安装")
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "economy") is None
        assert s.scalar(select(func.count()).select_from(BundleItem).where(BundleItem.bundle_key == "economy")) == 0

    # Refused with the reason beside the list: other installed bundles require 民呼我为.
    page.click("#bundle-list tr[data-bundle=minhu] .bundle-uninstall button")
    expect(page.locator("#bundle-error")).to_contain_text("民呼我为：突发事件直报快响、高楼消防")
    expect(page.locator("#bundle-error")).to_contain_text("依赖民呼我为，请先卸载它们")
    expect(page.locator("#bundle-preview")).to_have_count(0)
    shot(page, "app-bundles.png")


def test_a_newer_shipped_bundle_is_previewed_and_upgraded_from_the_ledger_page(
    factory: sessionmaker[Session], live_url: str, page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release ships 根治欠薪 v2 with a new keyword: the row offers the upgrade, the preview names the one
    category it changes and the field, and the confirmed upgrade writes it."""
    root = tmp_path / "bundles"
    shutil.copytree(str(bundle_files.shipped_root()), root)
    meta = yaml.safe_load((root / "wages" / "bundle.yaml").read_text(encoding="utf-8"))
    meta["version"] = 2
    (root / "wages" / "bundle.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    categories = yaml.safe_load((root / "wages" / "categories.yaml").read_text(encoding="utf-8"))
    categories[0]["keywords"].append("专户停发")
    (root / "wages" / "categories.yaml").write_text(yaml.safe_dump(categories, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(bundle_files, "shipped_root", lambda: root)

    make_user(factory, "bndu_admin", [Role.app_admin], unit_code="500000")
    log_in(page, live_url, "bndu_admin", PASSWORD)
    page.goto(f"{live_url}/apps")
    row = page.locator("#bundle-list tr[data-bundle=wages]")
    expect(row.locator("td:nth-child(3)")).to_have_text("v2")
    page.goto(f"{live_url}/apps?lang=en")  # the English page names the bundle and the action in English
    expect(row.locator("td").first).to_contain_text("Wage arrears (Gen Zhi Qian Xin)")
    expect(row.locator(".bundle-upgrade button")).to_have_text("Preview upgrade to v2")
    page.goto(f"{live_url}/apps?lang=zh")
    expect(page.locator("#bundle-list tr[data-bundle=minhu] .bundle-upgrade")).to_have_count(0)  # nothing newer
    row.locator(".bundle-upgrade button").click()
    expect(page.locator("#bundle-preview h3")).to_have_text("预览：升级 根治欠薪 v2")
    changed = page.locator("#bundle-changes tr[data-action=change]")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("labour.wage_warning")
    expect(changed).to_contain_text("keywords")
    expect(row.locator("td:nth-child(2)")).to_have_text("v1")
    page.click("#bundle-confirm button")
    expect(page.locator("#bundle-notice")).to_have_text("根治欠薪：已升级")
    expect(row.locator("td:nth-child(2)")).to_have_text("v2")
    expect(row.locator(".bundle-upgrade")).to_have_count(0)
    with session_scope(factory) as s:
        assert s.get(InstalledBundle, "wages").version == 2
        category = s.scalar(select(Category).where(Category.code == "labour.wage_warning"))
        assert "专户停发" in category.keywords
