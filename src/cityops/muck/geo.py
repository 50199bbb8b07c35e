"""Small-distance geometry for trucks and sites: metres on a local plane (equirectangular around the point),
good to well under a metre at city scale; polygons through shapely."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from cityops.muck.models import MuckSite

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    kx = M_PER_DEG_LON_EQ * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * M_PER_DEG_LAT)


def to_polyline_m(lon: float, lat: float, line: list[Any]) -> float:
    """Distance in metres from a point to a polyline [[lon, lat], …]."""
    kx = M_PER_DEG_LON_EQ * math.cos(math.radians(lat))
    pts = [((p[0] - lon) * kx, (p[1] - lat) * M_PER_DEG_LAT) for p in line]
    if len(pts) == 1:
        return math.hypot(*pts[0])
    best = math.inf
    for (x1, y1), (x2, y2) in pairwise(pts):
        dx, dy = x2 - x1, y2 - y1
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / seg))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


def in_site(lon: float, lat: float, site: MuckSite) -> bool:
    """Inside the site's polygon, or within its radius of its point."""
    if site.polygon:
        from shapely.geometry import Point, shape

        return bool(shape(site.polygon).covers(Point(lon, lat)))
    return metres(lon, lat, site.lon, site.lat) <= site.radius_m


def distance_to_site(lon: float, lat: float, site: MuckSite) -> float:
    """0 inside; else metres to the polygon's edge (approximate) or to the circle."""
    if in_site(lon, lat, site):
        return 0.0
    if site.polygon:
        ring: list[Any] = site.polygon["coordinates"][0]
        return to_polyline_m(lon, lat, ring)
    return max(0.0, metres(lon, lat, site.lon, site.lat) - site.radius_m)
