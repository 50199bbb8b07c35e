"""The default event catalogue (事项目录) in Chinese: families, categories, deadlines and default owners.

Owners are (level, assignee, department code): e.g. ("street", "centre", None) means the street's
governance centre handles it; ("district", "department", "urban_management") means the district's
城市管理局. Operators edit all of this through the API; this is only the starting point.
"""

from __future__ import annotations

from typing import NamedTuple

# Deadline presets per severity: stage -> duration (see events.calendar).
URGENT_FIRST = {
    "urgent": {"accept": "10m", "sign": "15m", "handle": "2h", "verify": "1h"},
    "high": {"accept": "30m", "sign": "30m", "handle": "8h", "verify": "4h"},
    "normal": {"accept": "1h", "sign": "2h", "handle": "1wd", "verify": "1wd"},
}
STANDARD = {
    "urgent": {"accept": "30m", "sign": "1h", "handle": "4h", "verify": "2h"},
    "high": {"accept": "1h", "sign": "2h", "handle": "1wd", "verify": "1wd"},
    "normal": {"accept": "2h", "sign": "4h", "handle": "3wd", "verify": "1wd"},
}
CASEWORK = {  # disputes and wage arrears need investigation
    "urgent": {"accept": "1h", "sign": "2h", "handle": "1wd", "verify": "1wd"},
    "high": {"accept": "2h", "sign": "4h", "handle": "3wd", "verify": "2wd"},
    "normal": {"accept": "4h", "sign": "1wd", "handle": "5wd", "verify": "2wd"},
}


class CategorySpec(NamedTuple):
    code: str
    name: str
    name_en: str
    severity: str
    deadlines: dict[str, dict[str, str]]
    owner: tuple[str, str, str | None]
    keywords: tuple[str, ...]
    required: tuple[tuple[str, str, str], ...] = ()  # (code, 名称, type)


STREET = ("street", "centre", None)


def dept(code: str, level: str = "district") -> tuple[str, str, str | None]:
    return (level, "department", code)


FAMILIES: dict[str, tuple[str, str, tuple[CategorySpec, ...]]] = {
    "city_appearance": (
        "市容环境",
        "City appearance",
        (
            CategorySpec(
                "street_vending",
                "占道经营",
                "Street vending",
                "normal",
                STANDARD,
                STREET,
                ("占道", "摆摊", "流动摊贩", "出店经营"),
            ),
            CategorySpec(
                "exposed_garbage",
                "暴露垃圾",
                "Exposed garbage",
                "normal",
                STANDARD,
                STREET,
                ("垃圾", "堆放", "清运", "垃圾桶满"),
            ),
            CategorySpec(
                "illegal_ads",
                "乱贴乱画",
                "Illegal posters and graffiti",
                "normal",
                STANDARD,
                STREET,
                ("小广告", "乱贴", "涂鸦", "牛皮癣"),
            ),
            CategorySpec(
                "illegal_construction",
                "违法建设",
                "Illegal construction",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("违建", "违章建筑", "私搭乱建", "加建"),
            ),
            CategorySpec(
                "muck_spill",
                "渣土撒漏",
                "Construction muck spill",
                "high",
                STANDARD,
                dept("urban_management"),
                ("渣土", "撒漏", "渣土车", "泥头车"),
            ),
            CategorySpec(
                "greenery_damage",
                "绿化损毁",
                "Damaged greenery",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("绿化", "树木", "草坪", "毁绿"),
            ),
        ),
    ),
    "municipal": (
        "市政设施",
        "Municipal facilities",
        (
            CategorySpec(
                "manhole_missing",
                "窨井盖缺失",
                "Missing manhole cover",
                "high",
                URGENT_FIRST,
                dept("urban_management"),
                ("井盖", "窨井", "下水道盖"),
                (("manhole_type", "井盖类型", "string"),),
            ),
            CategorySpec(
                "streetlight_fault",
                "路灯故障",
                "Street light fault",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("路灯", "不亮", "灯坏"),
            ),
            CategorySpec(
                "road_damage",
                "道路破损",
                "Damaged road",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("坑洼", "路面破损", "人行道", "地砖"),
            ),
            CategorySpec(
                "drain_blocked",
                "排水堵塞",
                "Blocked drain",
                "high",
                STANDARD,
                dept("urban_management"),
                ("堵塞", "下水道", "排水", "污水外溢"),
            ),
            CategorySpec("public_toilet", "公厕问题", "Public toilet", "normal", STANDARD, STREET, ("公厕", "厕所")),
        ),
    ),
    "traffic": (
        "道路交通",
        "Roads and traffic",
        (
            CategorySpec(
                "road_collapse",
                "道路塌陷",
                "Road collapse",
                "urgent",
                URGENT_FIRST,
                dept("transport"),
                ("塌陷", "路面下沉", "天坑", "地陷"),
            ),
            CategorySpec(
                "traffic_light_fault",
                "交通信号灯故障",
                "Traffic light fault",
                "high",
                URGENT_FIRST,
                dept("public_security"),
                ("红绿灯", "信号灯"),
            ),
            CategorySpec(
                "illegal_parking",
                "违章停车",
                "Illegal parking",
                "normal",
                STANDARD,
                dept("public_security"),
                ("乱停", "违停", "占用消防通道", "停车"),
            ),
            CategorySpec(
                "traffic_jam",
                "交通拥堵",
                "Traffic congestion",
                "high",
                STANDARD,
                dept("public_security"),
                ("拥堵", "堵车"),
            ),
            CategorySpec(
                "bus_service",
                "公交运营",
                "Bus service",
                "normal",
                STANDARD,
                dept("transport", "city"),
                ("公交", "轻轨", "站台", "班次"),
            ),
        ),
    ),
    "environment": (
        "生态环境",
        "Environment",
        (
            CategorySpec(
                "cooking_fumes",
                "餐饮油烟",
                "Restaurant cooking fumes",
                "normal",
                STANDARD,
                dept("ecology"),
                ("油烟", "烧烤", "餐馆排烟"),
            ),
            CategorySpec(
                "noise",
                "噪声扰民",
                "Noise nuisance",
                "normal",
                STANDARD,
                dept("ecology"),
                ("噪音", "噪声", "施工扰民", "广场舞"),
            ),
            CategorySpec(
                "water_pollution",
                "水体污染",
                "Water pollution",
                "high",
                STANDARD,
                dept("ecology"),
                ("河水", "排污", "黑臭", "污染"),
            ),
            CategorySpec(
                "air_pollution",
                "大气污染",
                "Air pollution",
                "high",
                STANDARD,
                dept("ecology"),
                ("扬尘", "废气", "异味", "粉尘"),
            ),
            CategorySpec(
                "open_burning", "露天焚烧", "Open burning", "normal", STANDARD, STREET, ("焚烧", "烧垃圾", "烧秸秆")
            ),
        ),
    ),
    "labour": (
        "劳动保障",
        "Labour and wages",
        (
            CategorySpec(
                "wage_arrears",
                "拖欠工资",
                "Unpaid wages",
                "high",
                CASEWORK,
                dept("hrss"),
                ("欠薪", "拖欠工资", "讨薪", "农民工工资"),
                (("amount_yuan", "拖欠金额(元)", "number"), ("workers", "涉及人数", "number")),
            ),
            CategorySpec(
                "labour_contract",
                "劳动合同纠纷",
                "Labour contract dispute",
                "normal",
                CASEWORK,
                dept("hrss"),
                ("劳动合同", "辞退", "加班费"),
            ),
            CategorySpec(
                "social_insurance",
                "社保缴纳",
                "Social insurance",
                "normal",
                CASEWORK,
                dept("hrss"),
                ("社保", "五险", "医保缴纳"),
            ),
        ),
    ),
    "work_safety": (
        "安全生产",
        "Work safety",
        (
            CategorySpec(
                "gas_leak",
                "燃气泄漏",
                "Gas leak",
                "urgent",
                URGENT_FIRST,
                dept("emergency"),
                ("燃气", "天然气", "煤气", "气味", "漏气"),
            ),
            CategorySpec(
                "fire_hazard",
                "消防隐患",
                "Fire hazard",
                "high",
                URGENT_FIRST,
                dept("emergency"),
                ("消防通道", "灭火器", "电瓶车充电", "飞线充电"),
            ),
            CategorySpec(
                "highrise_fire",
                "高楼火灾",
                "High-rise fire",
                "urgent",
                URGENT_FIRST,
                dept("emergency"),
                ("高楼", "火灾", "起火", "冒烟"),
            ),
            CategorySpec(
                "hazardous_chemicals",
                "危化品安全",
                "Hazardous chemicals",
                "urgent",
                URGENT_FIRST,
                dept("emergency"),
                ("危化品", "化学品", "易燃易爆"),
            ),
            CategorySpec(
                "construction_safety",
                "施工安全",
                "Construction site safety",
                "high",
                STANDARD,
                dept("housing"),
                ("工地", "脚手架", "塔吊", "基坑"),
            ),
        ),
    ),
    "geohazard": (
        "地质灾害",
        "Geological hazards",
        (
            CategorySpec(
                "rockfall",
                "危岩崩塌",
                "Rockfall",
                "urgent",
                URGENT_FIRST,
                dept("planning"),
                ("危岩", "崩塌", "落石", "岩体"),
            ),
            CategorySpec(
                "landslide", "滑坡", "Landslide", "urgent", URGENT_FIRST, dept("planning"), ("滑坡", "山体", "泥石流")
            ),
            CategorySpec(
                "ground_subsidence",
                "地面沉降",
                "Ground subsidence",
                "high",
                STANDARD,
                dept("planning"),
                ("沉降", "地裂缝", "墙体开裂"),
            ),
        ),
    ),
    "lifeline": (
        "城市生命线",
        "City lifelines",
        (
            CategorySpec(
                "water_main",
                "供水管网",
                "Water main",
                "high",
                URGENT_FIRST,
                dept("water"),
                ("爆管", "停水", "水管", "漏水", "水压"),
            ),
            CategorySpec(
                "power_outage", "停电", "Power outage", "high", URGENT_FIRST, dept("economy"), ("停电", "断电", "电力")
            ),
            CategorySpec(
                "gas_pipeline",
                "燃气管网压力异常",
                "Gas pipeline pressure",
                "urgent",
                URGENT_FIRST,
                dept("housing"),
                ("管网压力", "燃气管道", "调压站"),
            ),
            CategorySpec(
                "bridge_tunnel",
                "桥梁隧道",
                "Bridges and tunnels",
                "high",
                URGENT_FIRST,
                dept("transport"),
                ("桥梁", "隧道", "裂缝", "护栏"),
            ),
            CategorySpec(
                "waterlogging",
                "城市内涝",
                "Urban flooding",
                "urgent",
                URGENT_FIRST,
                dept("water"),
                ("内涝", "积水", "淹水", "暴雨"),
            ),
            CategorySpec(
                "telecom_outage",
                "通信中断",
                "Telecom outage",
                "high",
                STANDARD,
                dept("economy"),
                ("断网", "没信号", "通信"),
            ),
        ),
    ),
    "public_security": (
        "社会治安",
        "Public security",
        (
            CategorySpec(
                "public_order",
                "治安隐患",
                "Public order",
                "high",
                STANDARD,
                dept("public_security"),
                ("治安", "打架", "偷盗"),
            ),
            CategorySpec(
                "dispute",
                "矛盾纠纷",
                "Neighbourhood dispute",
                "normal",
                CASEWORK,
                STREET,
                ("纠纷", "邻里", "矛盾", "吵架"),
            ),
            CategorySpec(
                "telecom_fraud",
                "电信诈骗",
                "Telecom fraud",
                "high",
                STANDARD,
                dept("public_security"),
                ("诈骗", "骗子", "刷单"),
            ),
        ),
    ),
    "livelihood": (
        "民生服务",
        "Public services",
        (
            CategorySpec(
                "food_safety",
                "食品安全",
                "Food safety",
                "high",
                STANDARD,
                dept("market"),
                ("食品", "过期", "变质", "无证"),
            ),
            CategorySpec(
                "medical_service",
                "医疗服务",
                "Medical services",
                "normal",
                CASEWORK,
                dept("health"),
                ("医院", "看病", "医生"),
            ),
            CategorySpec(
                "education_service",
                "教育服务",
                "Education services",
                "normal",
                CASEWORK,
                dept("education"),
                ("学校", "入学", "学位", "培训机构"),
            ),
            CategorySpec(
                "elderly_care",
                "养老服务",
                "Elderly care",
                "normal",
                CASEWORK,
                dept("civil_affairs"),
                ("养老", "老人", "高龄补贴"),
            ),
            CategorySpec(
                "price_fraud",
                "价格欺诈",
                "Price fraud",
                "normal",
                STANDARD,
                dept("market"),
                ("价格", "宰客", "明码标价"),
            ),
        ),
    ),
    "property": (
        "物业管理",
        "Property management",
        (
            CategorySpec(
                "elevator_fault",
                "电梯故障",
                "Elevator fault",
                "high",
                URGENT_FIRST,
                dept("housing"),
                ("电梯", "困人", "停梯"),
            ),
            CategorySpec(
                "property_service",
                "物业服务纠纷",
                "Property service dispute",
                "normal",
                CASEWORK,
                STREET,
                ("物业", "物业费", "业委会"),
            ),
            CategorySpec(
                "estate_environment",
                "小区环境",
                "Residential estate environment",
                "normal",
                STANDARD,
                STREET,
                ("小区", "楼道", "堆物"),
            ),
            CategorySpec(
                "illegal_renovation",
                "违规装修",
                "Illegal renovation",
                "normal",
                STANDARD,
                STREET,
                ("装修", "拆墙", "承重墙"),
            ),
        ),
    ),
}
