"""Demo catalogue (demo databases only, every row flagged `is_demo` and its summary marked 【演示】): a
handful of entries per department, capability components on the shelf, and requests in each state.
The resource names follow common government catalogues; no figures are invented (the demo entries carry
no data: only the platform's own datasets are readable through a grant)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.catalog import components, requests, service
from cityops.catalog.models import CapabilityComponent, CatalogEntry, DataRequest
from cityops.catalog.schemas import AnswerIn, ComponentIn, EntryIn, RequestIn, ReviewIn
from cityops.catalog.sources import seed_self_catalogue
from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.auth import User, actor_for
from cityops.events.calendar import CST
from cityops.org import service as org
from cityops.org.models import Department

ID_ITEM = {"share_type": "none", "share_condition": "《个人信息保护法》：身份证件号码属敏感个人信息"}


def _item(name: str, label: str, kind: str = "字符", **extra: str) -> dict[str, str]:
    return {"name": name, "label": label, "type": kind, **extra}


# (unit code, department code, code, title, classification, summary, share, open, cycle, items)
ENTRIES: list[tuple[str, str, str, str, str, str, str, str, str, list[dict[str, str]]]] = [
    ("500000", "urban_management", "CQ-CG-D001", "户外广告设施设置审批信息", "部门/城市管理",
     "户外广告设施设置许可的审批文号、设置地点、规格和有效期。", "conditional", "closed", "每月",
     [_item("permit_no", "审批文号"), _item("location", "设置地点"), _item("valid_until", "有效期至", "日期"),
      _item("applicant_id", "申请人身份证号", **ID_ITEM)]),
    ("500000", "urban_management", "CQ-CG-D002", "城市道路照明设施信息", "主题/城乡建设/市政设施",
     "中心城区城市道路照明设施的编号、所在道路、灯杆类型和管养单位。", "unconditional", "open", "每季度",
     [_item("lamp_id", "路灯编号"), _item("road", "所在道路"), _item("pole_type", "灯杆类型"),
      _item("keeper", "管养单位")]),
    ("500000", "ecology", "CQ-STHJ-D001", "空气质量自动监测站点信息", "主题/生态环保",
     "国控、市控空气质量自动监测站点的名称、位置和监测项目。", "unconditional", "open", "每年",
     [_item("station", "站点名称"), _item("lon", "经度", "数值"), _item("lat", "纬度", "数值"),
      _item("pollutants", "监测项目")]),
    ("500000", "ecology", "CQ-STHJ-D002", "排污许可证发放信息", "部门/生态环境",
     "排污单位名称、统一社会信用代码、许可证编号、行业类别和有效期限。", "conditional", "conditional", "每月",
     [_item("company", "排污单位名称"), _item("credit_code", "统一社会信用代码"), _item("permit_no", "许可证编号"),
      _item("valid_until", "有效期至", "日期")]),
    ("500000", "emergency", "CQ-YJ-D001", "危险化学品经营许可企业名单", "主题/安全生产",
     "取得危险化学品经营许可证的企业名称、地址、许可范围和有效期。", "conditional", "closed", "每月",
     [_item("company", "企业名称"), _item("address", "经营地址"), _item("scope", "许可范围"),
      _item("valid_until", "有效期至", "日期")]),
    ("500000", "emergency", "CQ-YJ-D002", "应急避难场所信息", "主题/应急保障",
     "应急避难场所的名称、地址、类型和可容纳人数。", "unconditional", "open", "每年",
     [_item("name", "场所名称"), _item("address", "地址"), _item("kind", "场所类型"),
      _item("capacity", "可容纳人数", "数值")]),
    ("500103", "urban_management", "YZ-CG-D001", "渝中区生活垃圾分类收运点位", "部门/城市管理",
     "渝中区生活垃圾分类投放点、收运点的位置和收运时间。", "unconditional", "open", "每月",
     [_item("site", "点位名称"), _item("address", "地址"), _item("schedule", "收运时间")]),
    ("500103", "urban_management", "YZ-CG-D002", "渝中区占道经营整治台账", "部门/城市管理",
     "占道经营问题的发现时间、地点、处置结果。", "conditional", "closed", "每周",
     [_item("found_at", "发现时间", "日期时间"), _item("place", "地点"), _item("result", "处置结果"),
      _item("vendor_id", "经营者身份证号", **ID_ITEM)]),
]  # fmt: skip

# (code, name, kind, provider department code or "" for the city centre, endpoint, used by, listed)
COMPONENTS: list[tuple[str, str, str, str, str, list[str], bool]] = [
    ("cq-identity", "统一身份认证", "identity", "", "/api/auth/login", ["城市运行和治理平台", "民呼我为"], True),
    ("cq-address-match", "地址智能匹配", "algorithm", "", "/api/geo/resolve", ["民呼我为", "事件分拨"], True),
    ("cq-event-classifier", "诉求智能分类", "ai_model", "", "/api/events", ["民呼我为"], True),
    ("cq-sms", "短信通知", "notification", "", "/api/notifications", ["应急指挥", "民呼我为"], True),
    ("cq-cg-vendor-video", "占道经营视频识别", "ai_model", "urban_management", "/video/ai/vendor", ["数字城管"], False),
]


def _actor(session: Session, username: str) -> Actor | None:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return actor_for(session, user) if user is not None else None


def _dept(session: Session, unit_code: str, code: str) -> Department | None:
    unit = org.get_by_code(session, unit_code)
    if unit is None:
        return None
    stmt = select(Department).where(Department.unit_id == unit.id, Department.code == code)
    return session.scalars(stmt).one_or_none()


def _entries(session: Session, actor: Actor) -> None:
    have = set(session.scalars(select(CatalogEntry.code)))
    for unit_code, dept_code, code, title, cls, summary, share, open_, cycle, items in ENTRIES:
        dept = _dept(session, unit_code, dept_code)
        if dept is None or code in have:
            continue
        data = EntryIn.model_validate(
            {
                "code": code,
                "title": title,
                "classification": cls,
                "summary": f"【演示】{summary}",
                "format_class": "电子表格",
                "format": "xlsx",
                "update_cycle": cycle,
                "share_type": share,
                "share_condition": "" if share == "unconditional" else "用于本部门法定职责范围内的监管和服务",
                "open_type": open_,
                "items": items,
                "department_id": dept.id,
            }
        )
        entry = service.create_entry(session, actor, data, demo=True)
        service.act(session, actor, entry, "publish")


def _components(session: Session, actor: Actor) -> None:
    have = set(session.scalars(select(CapabilityComponent.code)))
    city = org.city(session)
    for code, name, kind, dept_code, endpoint, used_by, listed in COMPONENTS:
        if code in have or city is None:
            continue
        dept = _dept(session, "500000", dept_code) if dept_code else None
        provider = actor if dept else Actor(None, "system:demo-centre", actor.roles, city.id, city.path, "city")
        data = ComponentIn(
            code=code,
            name=name,
            kind=kind,
            version="1.0",
            endpoint=endpoint,
            used_by=used_by,
            description="【演示】",
            department_id=dept.id if dept else None,
        )
        row = components.register(session, provider, data, demo=True)
        if listed:
            components.review(session, actor, row, ReviewIn(decision="list", note="演示：审核通过"))


def _requests(session: Session) -> None:
    if session.scalar(select(DataRequest.id).where(DataRequest.is_demo.is_(True))) is not None:
        return
    street, district, provider = (
        _actor(session, "jfb_duty"),
        _actor(session, "yz_cg_handler"),
        _actor(session, "cg_data"),
    )
    if street is None or district is None or provider is None:
        return
    by_code = {e.code: e for e in session.scalars(select(CatalogEntry))}
    year = clock.now().astimezone(CST).year  # the demo's use period: this calendar year
    period: dict[str, Any] = {"use_from": date(year, 1, 1), "use_until": date(year, 12, 31)}
    flow = [
        (street, "CQ-URBANMANAGEMENT-EVT-0001", ["day", "category_name", "received", "closed"],
         "解放碑街道研判辖区城市管理类事件高发时段",
         AnswerIn(decision="approve", fields=["day", "category_name", "received"])),
        (street, "CQ-CG-D001", ["permit_no", "location"], "核查辖区户外广告设置是否持证",
         AnswerIn(decision="refuse", reason="【演示】未说明所需信息与街道职责的关联，请补充后重新申请")),
        (district, "CQ-CG-D002", [], "区城管局路灯故障派单核对管养单位", None),
    ]  # fmt: skip
    for who, code, fields, purpose, answer in flow:
        entry = by_code.get(code)
        if entry is None:
            continue
        row = requests.submit(session, who, RequestIn(entry_id=entry.id, purpose=purpose, fields=fields, **period))
        row.is_demo = True
        if answer is not None:
            requests.answer(session, provider, row, answer)


def seed_demo(session: Session, actor: Actor) -> None:
    """Idempotent: the self-catalogue, demo entries, components, and a few requests in each state."""
    seed_self_catalogue(session, actor)
    _entries(session, actor)
    _components(session, actor)
    session.flush()
    _requests(session)
