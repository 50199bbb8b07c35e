"""The street's and the district's grid administration in Chromium: grid import (CSV and GeoJSON, per-row
errors) and a grid's edit as a new version with valid-from; patrol plans created, edited and retired;
三级职责任务清单 viewed per level and list, imported and exported as XLSX, an item edited and retired;
职责准入 filed by a department and rejected (with a reason) or approved by the district, all audited."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import audit
from cityops.core.actor import Role
from cityops.core.audit import AuditEntry
from cityops.core.db import session_scope
from cityops.events.calendar import CST
from tests.factories import PASSWORD, department_id, login, make_user, unit
from tests.grid.conftest import COMMUNITY, OTHER_COMMUNITY, SQUARE, STREET, GridWorld
from tests.grid.test_forms import make_two_reports
from tests.web.conftest import log_in, shot

pytestmark = pytest.mark.browser
DISTRICT = "500103"


def test_street_imports_and_edits_grids_and_keeps_patrol_plans(
    client: TestClient, world: GridWorld, session: Session, live_url: str, page: Page, tmp_path: Path
) -> None:
    csv_file = tmp_path / "grids.csv"
    csv_file.write_text(
        "community_code,seq,name,kind,dedicated_type\n"
        f"{COMMUNITY},2,解放碑小学专属网格,专属网格,学校\n"
        "999999999999,1,不存在的村社,综合网格,\n"
        f"{COMMUNITY},x,序号错误,综合网格,\n",
        encoding="utf-8",
    )
    bowtie = [[106.57, 29.55], [106.58, 29.56], [106.58, 29.55], [106.57, 29.56], [106.57, 29.55]]
    geo = tmp_path / "grids.geojson"
    geo.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": f"{OTHER_COMMUNITY}G01", "name": "民生路第1网格"},
                        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"code": f"{OTHER_COMMUNITY}G02", "name": "自相交"},
                        "geometry": {"type": "Polygon", "coordinates": [bowtie]},
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    log_in(page, live_url, "g_duty", PASSWORD)
    page.click("#nav-grid")
    # How each figure is counted is on the page itself, not in a file of the source tree.
    page.click("#grid-kpi-definitions summary")
    expect(page.locator("#grid-kpi-definitions")).to_contain_text("就地解决的上报数 ÷ 上报数")
    expect(page.locator("main")).not_to_contain_text("docs/")
    page.click("#tab-grids")
    page.set_input_files("#import-form input[name=file]", str(csv_file))
    page.click("#import-submit")
    expect(page.locator("#import-saved")).to_have_text("1")
    expect(page.locator('#import-errors tr[data-row="3"]')).to_contain_text("村社代码不存在")
    expect(page.locator('#import-errors tr[data-row="4"]')).to_contain_text("网格序号须为数字")
    expect(page.locator(f'#grids tr[data-code="{COMMUNITY}G02"]')).to_contain_text("专属网格·学校")
    page.set_input_files("#import-form input[name=file]", str(geo))
    page.click("#import-submit")
    expect(page.locator("#import-saved")).to_have_text("1")
    expect(page.locator('#import-errors tr[data-row="2"]')).to_contain_text("自相交")
    expect(page.locator(f'#grids tr[data-code="{OTHER_COMMUNITY}G01"]')).to_contain_text("已导入")
    shot(page, "grid-import.png")

    page.click(f'#grids tr[data-code="{COMMUNITY}G01"] a')
    tomorrow = (datetime.now(CST) + timedelta(days=1)).date().isoformat()
    page.fill("#grid-edit input[name=name]", "邹容路中心网格")
    page.fill("#grid-edit input[name=valid_from]", tomorrow)
    page.click("#grid-edit-submit")
    expect(page.locator("#grid-error")).to_contain_text("生效时间不能晚于现在")
    page.fill("#grid-edit input[name=name]", "邹容路中心网格")
    page.fill("#grid-edit input[name=valid_from]", "")
    page.click("#grid-edit-submit")
    expect(page.locator("#grid-saved")).to_be_visible()
    expect(page.locator('#versions tr[data-version="2"]')).to_contain_text("邹容路中心网格")
    expect(page.locator('#versions tr[data-version="2"]')).to_contain_text("当前")
    expect(page.locator('#versions tr[data-version="1"]')).not_to_contain_text("当前")

    page.click("#tab-plans")
    page.select_option("#plan-new select[name=grid_id]", str(world.grid_id))
    page.fill("#plan-new input[name=name]", "邹容路夜间巡查")
    page.fill("#plan-new textarea[name=checkpoints]", "邹容路口\n解放碑广场")
    page.fill("#plan-new input[name=per_day]", "2")
    page.fill("#plan-new input[name=window_start]", "19:00")
    page.fill("#plan-new input[name=window_end]", "22:00")
    page.click("#plan-new-submit")
    row = page.locator("#plans tr", has_text="邹容路夜间巡查")
    expect(row).to_contain_text("邹容路口、解放碑广场")
    expect(row).to_contain_text("19:00–22:00")
    row.locator("[data-edit]").click()
    page.fill("#plan-edit input[name=window_start]", "23:00")
    page.click("#plan-edit-submit")
    expect(page.locator("#plan-error")).to_contain_text("巡查时段须先开始后结束")
    page.fill("#plan-edit input[name=window_start]", "18:30")
    page.fill("#plan-edit input[name=per_day]", "3")
    page.click("#plan-edit-submit")
    expect(page.locator("#plan-saved")).to_be_visible()
    expect(row).to_contain_text("18:30–22:00")
    row.locator("[data-retire]").click()
    expect(page.locator("#plan-retired")).to_be_visible()
    expect(page.locator("#plans")).not_to_contain_text("邹容路夜间巡查")
    expect(page.locator("#plans")).to_contain_text("邹容路日常巡查")  # the fixture's plan stays

    # The grid KPIs are runway rows for the street.
    page.goto(f"{live_url}/runways?unit_id={unit(session, STREET).id}")
    expect(page.locator("li.ind[data-code='grid_on_spot_rate']")).to_contain_text("就地解决率")
    expect(page.locator("li.ind[data-code='grid_patrol_coverage']")).to_contain_text("巡查覆盖率")


def _xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["层级", "清单", "事项名称", "牵头部门", "法律依据", "关联事项分类"])
    ws.append(["村社", "基本履职", "小区违规广告劝导", "", "", "city_appearance.illegal_ads"])
    ws.append(["镇街", "配合履职", "餐饮油烟监管", "生态环境", "《大气污染防治法》", "environment.cooking_fumes"])
    ws.append(["网格", "基本履职", "不存在的分类", "", "", "no.such_category"])
    wb.save(path)


def test_district_keeps_duty_lists_and_decides_admissions(
    client: TestClient, factory: sessionmaker[Session], session: Session, live_url: str, page: Page, tmp_path: Path
) -> None:
    dept = department_id(session, DISTRICT, "urban_management")
    make_user(factory, "dp_handler", [Role.handler], unit_code=DISTRICT, department_id=dept)
    make_user(factory, "dp_leader", [Role.leader], unit_code=DISTRICT)
    log_in(page, live_url, "dp_handler", PASSWORD)
    page.click("#nav-grid")  # a department's handler: 职责准入 (and the duty list it reads)
    expect(page.locator("#tab-grids")).to_have_count(0)
    for name, reason in (("楼道堆物清理", "消防通道需网格日常巡查"), ("共享单车乱停劝导", "属地管理更及时")):
        page.select_option("#admission-form select[name=level]", "grid")
        page.select_option("#admission-form select[name=list_kind]", "basic")
        page.fill("#admission-form input[name=name]", name)
        page.fill("#admission-form input[name=categories]", "city_appearance.exposed_garbage")
        page.fill("#admission-form textarea[name=reason]", reason)
        page.click("#admission-submit")
        expect(page.locator("#admission-sent")).to_be_visible()
    expect(page.locator('#admissions li[data-status="pending"]')).to_have_count(2)

    page.context.clear_cookies()
    log_in(page, live_url, "dp_leader", PASSWORD)
    page.goto(f"{live_url}/grid/admissions")
    first = page.locator("#admissions li", has_text="楼道堆物清理")
    first.locator("[data-reject]").click()
    expect(page.locator("#admission-error")).to_contain_text("驳回须写明理由")
    first = page.locator("#admissions li", has_text="楼道堆物清理")
    first.locator("form[action$='/reject'] input[name=note]").fill("已由消防部门负责")
    first.locator("[data-reject]").click()
    expect(page.locator("#admissions li", has_text="楼道堆物清理")).to_contain_text("已驳回")
    expect(page.locator("#admissions li", has_text="楼道堆物清理")).to_contain_text("已由消防部门负责")
    page.locator("#admissions li", has_text="共享单车乱停劝导").locator("[data-approve]").click()
    expect(page.locator("#admissions li", has_text="共享单车乱停劝导")).to_contain_text("已批准")

    page.click("#tab-duties")
    expect(page.locator("#duty-items")).to_contain_text("共享单车乱停劝导")
    book = tmp_path / "duties.xlsx"
    _xlsx(book)
    page.set_input_files("#duty-import-form input[name=file]", str(book))
    page.click("#duty-import-submit")
    expect(page.locator("#duty-added")).to_have_text("2")
    expect(page.locator('#duty-import-errors tr[data-row="4"]')).to_contain_text("未知事项分类")
    page.click('#duty-levels a[data-level="community"]')
    expect(page.locator("#duty-items tbody tr")).to_have_count(1)
    expect(page.locator("#duty-items")).to_contain_text("小区违规广告劝导")
    page.click('#duty-lists a[data-kind="cooperative"]')  # 村社 × 配合履职: none
    expect(page.locator("#duty-items")).to_contain_text("无事项")
    page.click('#duty-levels a:has-text("全部层级")')
    expect(page.locator("#duty-items")).to_contain_text("餐饮油烟监管")
    with page.expect_download() as dl:
        page.click("#duty-export")
    rows = list(load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("层级", "清单", "事项名称")
    assert ("镇街", "配合履职", "餐饮油烟监管", "生态环境") in [r[:4] for r in rows]

    page.goto(f"{live_url}/grid/duties")
    page.locator("#duty-items tr", has_text="小区违规广告劝导").locator("[data-edit]").click()
    page.fill("#duty-edit input[name=name]", "小区及沿街违规广告劝导")
    page.click("#duty-edit-submit")
    expect(page.locator("#duty-saved")).to_be_visible()
    expect(page.locator("#duty-items")).to_contain_text("小区及沿街违规广告劝导")
    fumes = page.locator("#duty-items tr", has_text="餐饮油烟监管")
    fumes.locator("input[name=reason]").fill("已划归区生态环境局直管")
    fumes.locator("[data-retire]").click()
    expect(page.locator("#duty-retired")).to_be_visible()
    expect(page.locator("#duty-items")).not_to_contain_text("餐饮油烟监管")
    shot(page, "grid-duties.png")

    # 一表通: the district leader turns a report field into an indicator of the 一表通 runway.
    visits, _ = make_two_reports(client, factory, session)
    duty = login(client, factory, "dp_duty", [Role.dispatcher], unit_code=STREET)
    for label, alone in (("甲", "是"), ("乙", "是"), ("丙", "否")):
        body = {"community_id": unit(session, COMMUNITY).id, "kind": "person", "label": label}
        rid = client.post("/api/base-records", headers=duty.headers, json=body).json()["id"]
        values = {"values": {"lives_alone": alone}}
        assert client.put(f"/api/base-records/{rid}/facts", headers=duty.headers, json=values).status_code == 200
    page.click("#tab-forms")
    form = page.locator(f'form[data-define="{visits}"]')
    expect(page.locator(f'[data-template="{visits}"]')).to_contain_text("是否独居（民政）")
    with page.expect_download() as dl:
        page.click(f'[data-export="{visits}"]')
    sheet = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    assert sheet is not None and [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["甲", "乙", "丙"]
    shot(page, "grid-forms-staff.png")
    form.locator("input[name=name]").fill("独居老人数")
    form.locator("select[name=field]").select_option("lives_alone")
    form.locator("select[name=agg]").select_option("sum")
    form.locator("button").click()
    expect(page.locator("#form-error")).to_contain_text("不是数字字段")
    form = page.locator(f'form[data-define="{visits}"]')
    form.locator("input[name=name]").fill("独居老人数")
    form.locator("select[name=field]").select_option("lives_alone")
    form.locator("select[name=agg]").select_option("count_eq")
    form.locator("input[name=equals]").fill("是")
    form.locator("input[name=unit]").fill("人")
    form.locator("button").click()
    expect(page.locator("#indicator-name")).to_have_text("独居老人数")
    expect(page.locator("#current-value")).to_have_text("2人")  # 甲 乙: hand count

    with session_scope(factory) as s:
        audit.sequence(s)
    session.rollback()
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("duty.%"))))
    assert {
        "duty.admission_requested",
        "duty.admission_rejected",
        "duty.admission_approved",
        "duty.item_edited",
        "duty.item_retired",
    } <= actions
