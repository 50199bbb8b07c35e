"""What 渣土治理 adds to the platform, in one place so it can ship as an application bundle: the GPS device
types of a truck's three channels, the three violation categories (routed to the district's 城市管理), and
the detection thresholds. `seed` is idempotent.

The thresholds are working defaults chosen for this platform (a stop of 10 minutes outside any licensed
site, a corridor half-width of the route's width, night 22:00–06:00), not figures from a regulation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.catalogue import seed_specs
from cityops.events.catalogue_data import STANDARD, CategorySpec, dept
from cityops.sensing.service import seed_type_specs

GPS_TYPES: list[dict[str, Any]] = [
    {
        "code": "muck_gps_lat",
        "name": "渣土车GPS纬度",
        "unit": "°",
        "expected_interval_s": 30,
        "sector": None,
        "category_code": "city_appearance.muck_dumping",
        "min_value": -90,
        "max_value": 90,
        "rules": [],
    },
    {
        "code": "muck_gps_lon",
        "name": "渣土车GPS经度",
        "unit": "°",
        "expected_interval_s": 30,
        "sector": None,
        "category_code": "city_appearance.muck_dumping",
        "min_value": -180,
        "max_value": 180,
        "rules": [],
    },
    {
        "code": "muck_gps_speed",
        "name": "渣土车GPS速度",
        "unit": "km/h",
        "expected_interval_s": 30,
        "sector": None,
        "category_code": "city_appearance.muck_dumping",
        "min_value": 0,
        "max_value": 200,
        "rules": [],
    },
]
CHANNELS = {"lat": "muck_gps_lat", "lon": "muck_gps_lon", "spd": "muck_gps_speed"}

KIND_CATEGORY = {
    "dumping": "city_appearance.muck_dumping",
    "off_route": "city_appearance.muck_off_route",
    "night": "city_appearance.muck_night",
}
KIND_NAME = {"dumping": "疑似偷倒（场外停留）", "off_route": "偏离核准路线", "night": "夜间无证运输"}
KIND_NAME_EN = {
    "dumping": "Suspected illegal dumping",
    "off_route": "Off the approved route",
    "night": "Night run without permit",
}

STOP_SPEED_KMH = 3.0  # at or below: standing
STOP_RADIUS_M = 60.0  # GPS jitter while standing
STOP_MINUTES = 10  # a stop this long outside every licensed site is suspected dumping
MOVING_KMH = 5.0  # night runs count only when moving
NIGHT_START_HOUR, NIGHT_END_HOUR = 22, 6  # China time
TRACK_BEFORE = timedelta(minutes=30)  # the track an event carries: this long before the violation
TRACK_MAX_POINTS = 120

FAMILIES: dict[str, tuple[str, str, tuple[CategorySpec, ...]]] = {
    "city_appearance": (
        "市容环境",
        "City appearance",
        (
            CategorySpec(
                "muck_dumping",
                "渣土偷倒",
                "Illegal muck dumping",
                "high",
                STANDARD,
                dept("urban_management"),
                ("偷倒", "乱倒", "渣土倾倒"),
            ),
            CategorySpec(
                "muck_off_route",
                "渣土车偏离路线",
                "Muck truck off its route",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("渣土车", "偏离路线"),
            ),
            CategorySpec(
                "muck_night",
                "渣土车夜间违规运输",
                "Muck truck at night without permit",
                "normal",
                STANDARD,
                dept("urban_management"),
                ("夜间", "渣土车"),
            ),
        ),
    ),
}


def seed(session: Session, actor: Actor) -> int:
    """Add the application's device types, categories and duties where missing; returns how many."""
    return seed_type_specs(session, actor, GPS_TYPES) + seed_specs(session, actor, FAMILIES)
