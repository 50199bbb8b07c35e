"""Default departments at city and district level, each with the event families it is responsible for."""

from __future__ import annotations

from typing import NamedTuple


class DepartmentSpec(NamedTuple):
    code: str
    short_name: str
    city_suffix: str  # appended to "重庆市"
    district_suffix: str  # appended to the district's name
    duty_scope: tuple[str, ...]  # catalogue families (事件大类) this department owns by default


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("urban_management", "城市管理", "城市管理局", "城市管理局", ("市容环境", "市政设施")),
    DepartmentSpec(
        "housing", "住房城乡建设", "住房和城乡建设委员会", "住房和城乡建设委员会", ("物业管理", "城市生命线")
    ),
    DepartmentSpec("transport", "交通运输", "交通运输委员会", "交通运输委员会", ("道路交通",)),
    DepartmentSpec("ecology", "生态环境", "生态环境局", "生态环境局", ("生态环境",)),
    DepartmentSpec("emergency", "应急管理", "应急管理局", "应急管理局", ("安全生产",)),
    DepartmentSpec("water", "水利", "水利局", "水利局", ("城市生命线",)),
    DepartmentSpec("planning", "规划自然资源", "规划和自然资源局", "规划和自然资源局", ("地质灾害",)),
    DepartmentSpec("public_security", "公安", "公安局", "公安分局", ("社会治安",)),
    DepartmentSpec("hrss", "人力社保", "人力资源和社会保障局", "人力资源和社会保障局", ("劳动保障",)),
    DepartmentSpec("market", "市场监管", "市场监督管理局", "市场监督管理局", ("民生服务",)),
    DepartmentSpec("health", "卫生健康", "卫生健康委员会", "卫生健康委员会", ("民生服务",)),
    DepartmentSpec("education", "教育", "教育委员会", "教育委员会", ("民生服务",)),
    DepartmentSpec("civil_affairs", "民政", "民政局", "民政局", ("民生服务",)),
    DepartmentSpec("economy", "经济信息", "经济和信息化委员会", "经济和信息化委员会", ("城市生命线",)),
)

# District-level special zones (功能区). Their streets are assigned by the operator
# (settings.special_zones_file); cityops invents none.
SPECIAL_ZONES: tuple[tuple[str, str], ...] = (
    ("两江新区", "两江"),
    ("西部科学城重庆高新区", "重庆高新区"),
    ("万盛经开区", "万盛"),
)

# Names used before re-designation, still common in citizens' addresses.
# Counties and county-level cities re-designated as districts (2006: 江津 合川 永川 南川; 2011: 綦江 大足;
# 2014: 璧山 铜梁; 2015: 潼南 荣昌; 2016: 开县 → 开州区, 梁平, 武隆).
OLD_NAMES: dict[str, str] = {
    "江津市": "500116",
    "合川市": "500117",
    "永川市": "500118",
    "南川市": "500119",
    "綦江县": "500110",
    "大足县": "500111",
    "璧山县": "500120",
    "铜梁县": "500151",
    "潼南县": "500152",
    "荣昌县": "500153",
    "开县": "500154",
    "梁平县": "500155",
    "武隆县": "500156",
}
