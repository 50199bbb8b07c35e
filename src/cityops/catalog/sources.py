"""The platform catalogues itself: cityops' own datasets (events by category and street, sensor reading
rollups per device type, indicator values) are entries whose distribution is an API returning the live
rows, with live record counts. Rows are always limited to a unit's subtree (a grant's jurisdiction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.catalog.models import CatalogEntry, EntryState, OpenType, ShareType
from cityops.catalog.schemas import EntryIn, ItemIn
from cityops.core.actor import Actor
from cityops.core.db import AnySelect
from cityops.events.models import Category, EventStat
from cityops.indicators.models import Indicator, IndicatorValue
from cityops.org import service as org
from cityops.org.models import Department, OrgLevel, OrgUnit
from cityops.sensing.models import Device, DeviceType, Rollup

EVENT_ITEMS = [
    ("day", "统计日期", "日期"),
    ("unit_code", "镇街代码", "字符"),
    ("unit_name", "镇街名称", "字符"),
    ("category_code", "事件分类代码", "字符"),
    ("category_name", "事件分类名称", "字符"),
    ("received", "受理量", "数值"),
    ("closed", "办结量", "数值"),
    ("closed_on_time", "按期办结量", "数值"),
    ("went_overdue", "超期量", "数值"),
]
READING_ITEMS = [
    ("hour", "统计时段（小时）", "日期时间"),
    ("device_type", "设备类型代码", "字符"),
    ("device_type_name", "设备类型名称", "字符"),
    ("devices", "上报设备数", "数值"),
    ("readings", "读数条数", "数值"),
    ("mean", "平均值", "数值"),
    ("min", "最小值", "数值"),
    ("max", "最大值", "数值"),
]
INDICATOR_ITEMS = [
    ("indicator_code", "指标代码", "字符"),
    ("indicator_name", "指标名称", "字符"),
    ("unit_name", "单位名称", "字符"),
    ("period", "统计周期", "字符"),
    ("value", "指标值", "数值"),
    ("target", "目标值", "数值"),
    ("status", "亮灯状态", "字符"),
]
ITEMS_BY_KIND = {"events": EVENT_ITEMS, "readings": READING_ITEMS, "indicators": INDICATOR_ITEMS}


def _items(kind: str) -> list[ItemIn]:
    return [ItemIn(name=n, label=label, type=t) for n, label, t in ITEMS_BY_KIND[kind]]


_EVENT_COUNTS = ("received", "closed", "closed_on_time", "went_overdue")


def _events(families: list[str] | None) -> AnySelect:
    stmt = (
        select(
            EventStat.day,
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
            Category.code.label("category_code"),
            Category.name.label("category_name"),
            *(
                func.sum(getattr(EventStat, f)).label(f)
                for f in ("received", "closed", "closed_on_time", "went_overdue")
            ),
        )
        .join(OrgUnit, OrgUnit.id == EventStat.unit_id)
        .join(Category, Category.id == EventStat.category_id)
        .where(OrgUnit.level == OrgLevel.street)  # counters are kept per ancestor centre: the finest is the street
        .group_by(EventStat.day, OrgUnit.code, OrgUnit.name, Category.code, Category.name)  # summed over shards
    )
    if families:
        stmt = stmt.where(Category.family.in_(families))
    return stmt


def _readings() -> AnySelect:
    n = func.sum(Rollup.n)
    return (
        select(
            Rollup.bucket.label("hour"),
            Device.type_code.label("device_type"),
            DeviceType.name.label("device_type_name"),
            func.count(func.distinct(Rollup.device_id)).label("devices"),
            n.label("readings"),
            (func.sum(Rollup.total) / n).label("mean"),
            func.min(Rollup.min_value).label("min"),
            func.max(Rollup.max_value).label("max"),
        )
        .join(Device, Device.id == Rollup.device_id)
        .join(DeviceType, DeviceType.code == Device.type_code)
        .where(Rollup.period == "h")
        .group_by(Rollup.bucket, Device.type_code, DeviceType.name)
    )


def _indicators() -> AnySelect:
    return (
        select(
            Indicator.code.label("indicator_code"),
            Indicator.name.label("indicator_name"),
            OrgUnit.name.label("unit_name"),
            IndicatorValue.period_key.label("period"),
            IndicatorValue.value,
            IndicatorValue.target,
            IndicatorValue.status,
        )
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .join(OrgUnit, OrgUnit.id == IndicatorValue.unit_id)
    )


def _query(source: dict[str, Any], unit_path: str) -> tuple[AnySelect, list[Any]]:
    """The rows of a platform dataset under `unit_path`, and the order that pages them stably."""
    kind = source.get("kind")
    if kind == "events":
        stmt = _events(source.get("families")).where(org.in_subtree(OrgUnit.path, unit_path))
        return stmt, [EventStat.day.desc(), OrgUnit.code, Category.code]
    if kind == "readings":
        return _readings().where(org.in_subtree(Device.unit_path, unit_path)), [
            Rollup.bucket.desc(),
            Device.type_code,
        ]
    if kind == "indicators":
        stmt = _indicators().where(org.in_subtree(OrgUnit.path, unit_path))
        return stmt, [IndicatorValue.period_key.desc(), Indicator.code, OrgUnit.path]
    raise ValueError(f"unknown platform source {kind!r}")


def record_count(session: Session, entry: CatalogEntry, unit_path: str = "/") -> int | None:
    """Live number of records (None when the platform does not hold the entry's data)."""
    if not entry.source:
        return None
    stmt, _ = _query(entry.source, unit_path)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def rows(
    session: Session, entry: CatalogEntry, unit_path: str, fields: list[str], *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """One page of records carrying exactly `fields` (in the order given)."""
    stmt, order = _query(entry.source or {}, unit_path)
    out = []
    for row in session.execute(stmt.order_by(*order).limit(limit).offset(offset)).mappings():
        out.append({name: _plain(row[name]) for name in fields})
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


# -- the self-catalogue ---------------------------------------------------------------------------------
def _spec(code: str, title: str, summary: str, kind: str, classification: str, cycle: str) -> EntryIn:
    return EntryIn(
        code=code,
        title=title,
        classification=classification,
        summary=summary,
        format_class="数据库",
        format="API(JSON)",
        update_cycle=cycle,
        share_type=ShareType.conditional,
        share_condition="用于本单位职责范围内的城市运行监测和治理；行数据限于被授权单位的辖区",
        open_type=OpenType.closed,
        items=_items(kind),
    )


def seed_self_catalogue(session: Session, actor: Actor) -> int:
    """cityops' own datasets as published entries (idempotent): three of the city centre, and one per city
    department with a duty scope (its families' events). Returns how many were added."""
    city = org.city(session)
    if city is None:
        raise RuntimeError("import the org tree first")
    have = set(session.scalars(select(CatalogEntry.code).where(CatalogEntry.source.is_not(None))))
    platform: list[tuple[EntryIn, dict[str, Any]]] = [
        (
            _spec(
                "CQ-CO-EVT-0001",
                "全市事件分类统计（按镇街、按日）",
                "城市运行和治理平台受理的事件，按镇街、事件分类和日期统计受理、办结、按期办结和超期量。",
                "events",
                "主题/城乡建设/城市运行",
                "实时",
            ),
            {"kind": "events", "families": None},
        ),
        (
            _spec(
                "CQ-CO-IOT-0001",
                "物联感知读数小时汇总（按设备类型）",
                "接入平台的物联感知设备读数，按小时和设备类型汇总条数、平均值、最小值和最大值。",
                "readings",
                "主题/城乡建设/物联感知",
                "实时",
            ),
            {"kind": "readings"},
        ),
        (
            _spec(
                "CQ-CO-IND-0001",
                "城市运行体征指标值",
                "驾驶舱跑道上的关键指标和城市体征值，按单位和统计周期，含目标值与亮灯状态。",
                "indicators",
                "主题/城乡建设/运行指标",
                "每日",
            ),
            {"kind": "indicators"},
        ),
    ]
    centre = Actor(user_id=None, username="system:catalog", roles=actor.roles, unit_id=city.id, unit_path=city.path)
    added = 0
    for spec, source in platform:
        if spec.code not in have:
            added += _publish_new(session, centre, spec, source)
    depts = session.scalars(select(Department).where(Department.unit_id == city.id).order_by(Department.code))
    for dept in depts:
        families = list(dept.duty_scope or [])
        code = f"CQ-{dept.code.upper().replace('_', '')}-EVT-0001"[:64]
        if not families or code in have:
            continue
        spec = _spec(
            code,
            f"{dept.short_name}领域事件统计（按镇街、按日）",
            f"{dept.name}职责范围内（{'、'.join(families)}）的事件，按镇街、事件分类和日期统计。",
            "events",
            f"部门/{dept.short_name}",
            "实时",
        )
        spec.department_id = dept.id
        added += _publish_new(session, actor, spec, {"kind": "events", "families": families})
    return added


def _publish_new(session: Session, actor: Actor, spec: EntryIn, source: dict[str, Any]) -> int:
    from cityops.catalog import service  # service reads record counts from here: import it lazily

    entry = service.create_entry(session, actor, spec, source=source)
    service.act(session, actor, entry, "publish")
    return 1 if entry.state == EntryState.published else 0
