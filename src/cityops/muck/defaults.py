"""渣土治理's detection thresholds and names. Its platform content — the GPS device types of a truck's three
channels and the three violation categories routed to the district's 城市管理 — ships as the `muck` bundle
(src/cityops/data/bundles/muck/).

The thresholds are working defaults chosen for this platform (a stop of 10 minutes outside any licensed
site, a corridor half-width of the route's width, night 22:00–06:00), not figures from a regulation."""

from __future__ import annotations

from datetime import timedelta

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
