"""The default category tree of the register, with a checklist per leaf and a default inspection cycle.

The families follow the brief of the 城市治理风险清单 (地质灾害, 燃气, 高层建筑消防, 桥隧, 内涝点, 危化品,
人员密集场所); the checklist items are generic inspection points written for this platform, not quoted from
a regulation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.risks.models import RiskCategory

TREE: list[dict[str, Any]] = [
    {
        "code": "geohazard",
        "name": "地质灾害",
        "en": "Geological hazards",
        "children": [
            {
                "code": "geohazard.rock",
                "name": "危岩",
                "en": "Unstable rock",
                "cycle": 15,
                "checklist": [
                    "岩体有无新裂缝或裂缝扩展",
                    "坡脚有无落石",
                    "监测设备运行正常",
                    "警示标牌完好",
                    "避险路线畅通",
                ],
            },
            {
                "code": "geohazard.landslide",
                "name": "滑坡",
                "en": "Landslide",
                "cycle": 15,
                "checklist": ["坡面有无鼓胀、下错", "排水沟是否通畅", "房屋墙体有无新裂缝", "监测设备运行正常"],
            },
        ],
    },
    {
        "code": "gas",
        "name": "燃气",
        "en": "Gas",
        "children": [
            {
                "code": "gas.pipeline",
                "name": "燃气管网",
                "en": "Gas pipeline",
                "cycle": 30,
                "checklist": ["管线上方有无违章占压", "阀井有无泄漏气味", "标志桩完好", "压力监测在线"],
            },
            {
                "code": "gas.station",
                "name": "燃气场站",
                "en": "Gas station",
                "cycle": 7,
                "checklist": ["可燃气体报警器正常", "消防器材在位有效", "值班记录完整", "应急物资齐全"],
            },
        ],
    },
    {
        "code": "fire",
        "name": "高层建筑消防",
        "en": "High-rise fire safety",
        "children": [
            {
                "code": "fire.highrise",
                "name": "高层住宅及公共建筑",
                "en": "High-rise building",
                "cycle": 30,
                "checklist": [
                    "疏散通道和安全出口畅通",
                    "消防车通道无占用",
                    "消火栓有水有压",
                    "电动车未入户充电",
                    "消控室有人值守",
                ],
            }
        ],
    },
    {
        "code": "bridge_tunnel",
        "name": "桥隧",
        "en": "Bridges and tunnels",
        "children": [
            {
                "code": "bridge_tunnel.bridge",
                "name": "桥梁",
                "en": "Bridge",
                "cycle": 30,
                "checklist": ["伸缩缝、支座无异常", "护栏完好", "桥面无坑槽", "结构监测在线"],
            },
            {
                "code": "bridge_tunnel.tunnel",
                "name": "隧道",
                "en": "Tunnel",
                "cycle": 30,
                "checklist": ["照明、通风正常", "衬砌无渗漏剥落", "消防设施完好", "应急通道畅通"],
            },
        ],
    },
    {
        "code": "waterlogging",
        "name": "内涝点",
        "en": "Waterlogging points",
        "children": [
            {
                "code": "waterlogging.point",
                "name": "易涝点",
                "en": "Flood-prone spot",
                "cycle": 15,
                "checklist": ["雨水口、排水管无堵塞", "水位监测在线", "警示设施到位", "排涝物资到位"],
            }
        ],
    },
    {
        "code": "hazchem",
        "name": "危化品",
        "en": "Hazardous chemicals",
        "children": [
            {
                "code": "hazchem.enterprise",
                "name": "危化品企业",
                "en": "Hazardous-chemicals enterprise",
                "cycle": 15,
                "checklist": ["储存量不超过核定量", "安全距离符合要求", "泄漏检测报警正常", "人员持证上岗"],
            }
        ],
    },
    {
        "code": "crowd",
        "name": "人员密集场所",
        "en": "Crowded places",
        "children": [
            {
                "code": "crowd.venue",
                "name": "商场、车站及景区",
                "en": "Mall, station or scenic spot",
                "cycle": 30,
                "checklist": ["客流监测与限流措施", "疏散通道畅通", "应急广播可用", "安保人员在岗"],
            }
        ],
    },
]


def seed_categories(session: Session) -> int:
    """Create the tree where a code is missing; idempotent."""
    have = {c.code: c for c in session.scalars(select(RiskCategory))}
    added = 0
    for sort, family in enumerate(TREE):
        parent = have.get(family["code"])
        if parent is None:
            parent = RiskCategory(
                code=family["code"], name=family["name"], name_en=family["en"], sort=sort, checklist=[]
            )
            session.add(parent)
            session.flush()
            added += 1
        for child_sort, leaf in enumerate(family["children"]):
            if leaf["code"] in have:
                continue
            session.add(
                RiskCategory(
                    code=leaf["code"],
                    name=leaf["name"],
                    name_en=leaf["en"],
                    parent_id=parent.id,
                    checklist=list(leaf["checklist"]),
                    cycle_days=leaf["cycle"],
                    sort=child_sort,
                )
            )
            added += 1
    session.flush()
    return added


# The event category a hazard of each risk category becomes when other departments are needed.
EVENT_CATEGORY = {
    "geohazard.rock": "geohazard.rockfall",
    "geohazard.landslide": "geohazard.landslide",
    "gas.pipeline": "lifeline.gas_pipeline",
    "gas.station": "lifeline.gas_pipeline",
    "fire.highrise": "work_safety.fire_hazard",
    "bridge_tunnel.bridge": "lifeline.bridge_tunnel",
    "bridge_tunnel.tunnel": "lifeline.bridge_tunnel",
    "waterlogging.point": "lifeline.waterlogging",
    "hazchem.enterprise": "work_safety.hazardous_chemicals",
    "crowd.venue": "public_security.public_order",
}
