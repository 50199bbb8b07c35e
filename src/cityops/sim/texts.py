"""Report texts as citizens and grid workers write them, per category, filled with real place names."""

from __future__ import annotations

import random

TEMPLATES: dict[str, tuple[str, ...]] = {
    "city_appearance.street_vending": (
        "{place}门口有流动摊贩占道经营，行人只能走机动车道",
        "{place}早市摊点占满人行道",
    ),
    "city_appearance.exposed_garbage": ("{place}垃圾桶满了没人清运，味道很大", "{place}路边堆了一堆建筑垃圾"),
    "city_appearance.illegal_ads": ("{place}墙上贴满了小广告", "{place}电线杆上喷涂办证电话"),
    "city_appearance.muck_spill": ("{place}渣土车撒漏，路面全是泥", "夜里渣土车经过{place}，一路撒漏"),
    "municipal.streetlight_fault": ("{place}路灯晚上不亮，已经{n}天了", "{place}一排路灯忽明忽暗"),
    "municipal.road_damage": ("{place}人行道地砖松动，下雨踩上去溅水", "{place}路面有个大坑，电瓶车容易摔"),
    "municipal.drain_blocked": ("{place}下水道堵了，污水漫到路上", "{place}雨水篦子堵塞，一下雨就积水"),
    "traffic.illegal_parking": ("{place}车辆乱停，堵住了消防通道", "{place}路口长期有车违停"),
    "traffic.traffic_jam": ("{place}早高峰堵得很厉害，信号配时不合理",),
    "traffic.road_collapse": ("{place}路面突然塌陷，出现一个大洞，请尽快处置",),
    "environment.cooking_fumes": ("{place}烧烤店油烟直排，楼上住户不敢开窗", "{place}餐馆排烟管道对着居民楼"),
    "environment.noise": ("{place}工地夜间施工噪声扰民，晚上十一点还在作业", "{place}广场舞音响声音太大"),
    "labour.wage_arrears": ("{place}工地拖欠{n}名农民工工资，讨要多次无果",),
    "work_safety.gas_leak": ("{place}闻到很浓的燃气味，怀疑漏气",),
    "work_safety.fire_hazard": ("{place}楼道里有人飞线给电瓶车充电", "{place}消防通道被杂物堵塞"),
    "geohazard.rockfall": ("{place}边坡有石块掉落，担心危岩崩塌",),
    "lifeline.water_main": ("{place}自来水管爆了，水冒到路面上", "{place}停水{n}个小时了也没有通知"),
    "lifeline.waterlogging": ("{place}下穿道积水很深，车辆无法通行",),
    "public_security.dispute": ("{place}邻里因为漏水问题发生纠纷，需要调解",),
    "livelihood.food_safety": ("{place}小餐馆卫生条件很差，吃完拉肚子",),
    "property.elevator_fault": ("{place}电梯经常停运，老人上下楼困难", "{place}电梯困人，物业半小时没来"),
    "property.property_service": ("{place}物业不作为，小区绿化没人管",),
    "property.estate_environment": ("{place}楼道堆满杂物，影响通行",),
}

# Reports per day by hour of the day (relative weights): people report in the morning, afternoon, evening.
DAILY_RHYTHM = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.8,
    1.3,
    1.8,
    2.0,
    1.9,
    1.6,
    1.2,
    1.3,
    1.6,
    1.7,
    1.6,
    1.4,
    1.3,
    1.4,
    1.5,
    1.2,
    0.8,
    0.4,
)


def report_text(rng: random.Random, category: str, name: str, place: str) -> str:
    options = TEMPLATES.get(category) or (f"{{place}}发现{name}问题，请尽快处理",)
    return rng.choice(options).format(place=place, n=rng.randint(2, 12))
