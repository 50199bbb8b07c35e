"""Geo-resolution: point -> district (polygon containment), address text -> district/street/community.

Indexes are built once per process from the database and rebuilt when the org tree changes
(a cheap signature query detects that).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.cache import VersionedCache
from cityops.core.errors import Invalid
from cityops.org.defaults import OLD_NAMES, SPECIAL_ZONES
from cityops.org.models import OrgLevel, OrgUnit, UnitGeometry
from cityops.org.naming import aliases
from cityops.org.service import org_signature

MAX_NAME = 14
CONFIDENCE = {  # (level, matched the full name?) -> confidence
    (OrgLevel.community, True): 0.95,
    (OrgLevel.community, False): 0.8,
    (OrgLevel.street, True): 0.9,
    (OrgLevel.street, False): 0.75,
    (OrgLevel.district, True): 0.6,
    (OrgLevel.district, False): 0.5,
}


class Unresolvable(Invalid):
    message = "无法确定位置 / The location could not be resolved."
    default_code = "geo.unresolvable"


@dataclass
class Resolution:
    unit_id: int
    level: str
    name: str
    confidence: float
    reason: str
    method: str  # point | text | point+text | fallback
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    path: str = ""


@dataclass
class _Unit:
    id: int
    name: str
    level: str
    parent_id: int | None
    path: str
    district_id: int | None = None
    street_id: int | None = None


@dataclass
class _Match:
    start: int
    end: int
    unit: _Unit
    full: bool


@dataclass
class GeoIndex:
    signature: Hashable
    units: dict[int, _Unit] = field(default_factory=dict)
    names: dict[str, list[tuple[int, bool]]] = field(default_factory=lambda: defaultdict(list))
    district_ids: list[int] = field(default_factory=list)
    tree: shapely.STRtree | None = None
    first_chars: set[str] = field(default_factory=set)
    lengths: list[int] = field(default_factory=list)
    city_id: int | None = None

    def lineage(self, u: _Unit) -> tuple[int | None, int | None, int | None]:
        district = u.id if u.level == OrgLevel.district else u.district_id
        street = u.id if u.level == OrgLevel.street else u.street_id
        community = u.id if u.level == OrgLevel.community else None
        return district, street, community

    def result(self, u: _Unit, confidence: float, reason: str, method: str) -> Resolution:
        d, s, c = self.lineage(u)
        return Resolution(
            unit_id=u.id,
            level=u.level,
            name=u.name,
            confidence=round(confidence, 2),
            reason=reason,
            method=method,
            district_id=d,
            street_id=s,
            community_id=c,
            path=u.path,
        )


def index(session: Session) -> GeoIndex:
    return _CACHE.get(session)


def _build(session: Session, sig: Hashable) -> GeoIndex:
    idx = GeoIndex(signature=sig)
    rows = session.execute(
        select(
            OrgUnit.id,
            OrgUnit.name,
            OrgUnit.level,
            OrgUnit.parent_id,
            OrgUnit.path,
            OrgUnit.kind,
            OrgUnit.code,
        )
        .where(OrgUnit.valid_to.is_(None), OrgUnit.level != OrgLevel.grid)
        .order_by(OrgUnit.path)
    ).all()
    for uid, name, level, parent_id, path, kind, code in rows:
        u = _Unit(uid, name, level, parent_id, path)
        parent = idx.units.get(parent_id) if parent_id else None
        if parent is not None:
            u.district_id = parent.id if parent.level == OrgLevel.district else parent.district_id
            u.street_id = parent.id if parent.level == OrgLevel.street else parent.street_id
        idx.units[uid] = u
        if level == OrgLevel.city:
            idx.city_id = uid
            continue
        for form in aliases(name, kind):
            idx.names[form].append((uid, form == name))
        if code in OLD_NAMES.values():
            for old, old_code in OLD_NAMES.items():
                if old_code == code:
                    idx.names[old].append((uid, True))
        for zone_name, short in SPECIAL_ZONES:
            if name == zone_name:
                idx.names[short].append((uid, False))
    idx.first_chars = {name[0] for name in idx.names}
    idx.lengths = sorted({len(name) for name in idx.names if len(name) <= MAX_NAME}, reverse=True)
    geoms = session.execute(select(UnitGeometry.unit_id, UnitGeometry.geojson)).all()
    if geoms:
        idx.district_ids = [uid for uid, _ in geoms]
        idx.tree = shapely.STRtree([shape(json.loads(g)) for _, g in geoms])
    return idx


_CACHE: VersionedCache[GeoIndex] = VersionedCache(org_signature, _build)


def invalidate() -> None:
    _CACHE.invalidate()


# -- points ----------------------------------------------------------------------------------------------
def check_point(lon: float, lat: float, *, prefix: str = "") -> None:
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180 <= lon <= 180):
        raise Invalid(
            "经度须在 -180 到 180 之间 / lon must be a number between -180 and 180.",
            field=f"{prefix}lon",
            code="geo.invalid_lon",
        )
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -90 <= lat <= 90):
        raise Invalid(
            "纬度须在 -90 到 90 之间 / lat must be a number between -90 and 90.",
            field=f"{prefix}lat",
            code="geo.invalid_lat",
        )


def districts_for_points(idx: GeoIndex, lons: Sequence[float], lats: Sequence[float]) -> list[int | None]:
    """Vectorised containment: one STRtree query for the whole batch."""
    out: list[int | None] = [None] * len(lons)
    if idx.tree is None or not len(lons):
        return out
    pts = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    hits = idx.tree.query(pts, predicate="within")
    for point_i, tree_i in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
        if out[point_i] is None:
            out[point_i] = idx.district_ids[tree_i]
    return out


# -- text --------------------------------------------------------------------------------------------------
def _scan(idx: GeoIndex, text: str) -> list[_Match]:
    """Every unit name occurring in `text` (only positions that can start a name, only lengths names have)."""
    found: list[_Match] = []
    n = len(text)
    names, starts, lengths = idx.names, idx.first_chars, idx.lengths
    for i in range(n - 1):
        if text[i] not in starts:
            continue
        for length in lengths:
            if i + length > n:
                continue
            hits = names.get(text[i : i + length])
            if hits:
                found.extend(_Match(i, i + length, idx.units[uid], full) for uid, full in hits)
    return found


def _pick(
    matches: list[_Match], level: str, taken: list[tuple[int, int]], within: int | None, parent_attr: str
) -> tuple[_Match | None, str]:
    cands = [m for m in matches if m.unit.level == level and not any(a <= m.start and m.end <= b for a, b in taken)]
    if within is not None:
        cands = [m for m in cands if getattr(m.unit, parent_attr) == within]
    if not cands:
        return None, ""
    cands.sort(key=lambda m: (-(m.end - m.start), not m.full, m.start))
    best = cands[0]
    rivals = {m.unit.id for m in cands if (m.end - m.start) == (best.end - best.start) and m.full == best.full}
    note = "" if len(rivals) == 1 else f"（同名{len(rivals)}处，取第一处 / {len(rivals)} units share this name）"
    return best, note


def resolve_text(idx: GeoIndex, text: str) -> Resolution | None:
    text = "".join(text.split())
    if not text:
        return None
    matches = _scan(idx, text)
    if not matches:
        return None
    taken: list[tuple[int, int]] = []
    district, dnote = _pick(matches, OrgLevel.district, taken, None, "district_id")
    if district:
        taken.append((district.start, district.end))
    street, snote = _pick(matches, OrgLevel.street, taken, district.unit.id if district else None, "district_id")
    if street is None and district is not None:
        # A street named without its district would conflict; keep the district.
        street = None
    if street:
        taken.append((street.start, street.end))
    parent = street.unit.id if street else None
    community, cnote = _pick(matches, OrgLevel.community, taken, parent, "street_id")
    if community is None and street is None and district is not None:
        community, cnote = _pick(matches, OrgLevel.community, taken, district.unit.id, "district_id")
    if community is None and street is None and district is None:
        community, cnote = _pick(matches, OrgLevel.community, taken, None, "street_id")
        if community is not None and cnote:
            community = None  # an ambiguous community name alone is not enough
    best = community or street or district
    if best is None:
        return None
    parts = [f"{m.unit.name}『{text[m.start : m.end]}』" for m in (district, street, community) if m]
    reason = "地名匹配 / name match: " + " > ".join(parts) + (dnote or snote or cnote)
    return idx.result(best.unit, CONFIDENCE[(OrgLevel(best.unit.level), best.full)], reason, "text")


def resolve(
    session: Session,
    *,
    lon: float | None = None,
    lat: float | None = None,
    text: str | None = None,
    fallback: bool = False,
) -> Resolution:
    """Resolve one location; raise Unresolvable (422) or, with `fallback`, return the city for triage."""
    return resolve_many(session, [(lon, lat, text)], fallback=fallback, raise_errors=True)[0]  # type: ignore[return-value]


def resolve_many(
    session: Session,
    items: Sequence[tuple[float | None, float | None, str | None]],
    *,
    fallback: bool = False,
    raise_errors: bool = False,
) -> list[Resolution | Invalid]:
    """Batch resolution: points in one vectorised query; each item gets a Resolution or its error."""
    idx = index(session)
    out: list[Resolution | Invalid | None] = [None] * len(items)
    point_rows: list[int] = []
    for i, (lon, lat, text) in enumerate(items):
        if lon is None and lat is None and not (text or "").strip():
            out[i] = Invalid("需要坐标或地址 / Give lon and lat, or an address text.", field="text")
        elif (lon is None) != (lat is None):
            out[i] = Invalid("经纬度须同时提供 / lon and lat go together.", field="lat" if lat is None else "lon")
        elif lon is not None and lat is not None:
            try:
                check_point(lon, lat)
                point_rows.append(i)
            except Invalid as exc:
                out[i] = exc
    districts = districts_for_points(idx, [items[i][0] for i in point_rows], [items[i][1] for i in point_rows])  # type: ignore[misc]
    by_point = dict(zip(point_rows, districts, strict=True))
    for i, (lon, lat, text) in enumerate(items):
        if out[i] is not None:
            continue
        out[i] = _combine(idx, by_point.get(i), i in by_point, lon, lat, text, fallback)
    if raise_errors and isinstance(out[0], Invalid):
        raise out[0]
    return out  # type: ignore[return-value]


def _combine(
    idx: GeoIndex,
    district_id: int | None,
    had_point: bool,
    lon: float | None,
    lat: float | None,
    text: str | None,
    fallback: bool,
) -> Resolution | Invalid:
    by_text = resolve_text(idx, text) if text else None
    if had_point and district_id is not None:
        district = idx.units[district_id]
        if by_text is not None and by_text.district_id == district_id:
            by_text.method = "point+text"
            by_text.reason = (
                f"坐标落在{district.name}，地址细化 / point in {district.name}, refined by text; " + by_text.reason
            )
            by_text.confidence = min(0.99, by_text.confidence + 0.05)
            return by_text
        return idx.result(district, 0.9, f"坐标落在{district.name}范围内 / point lies within {district.name}", "point")
    if by_text is not None:
        if had_point:
            by_text.reason += f"；坐标({lon},{lat})不在重庆市界内 / the point lies outside Chongqing"
        return by_text
    if fallback and idx.city_id is not None:
        city = idx.units[idx.city_id]
        return idx.result(
            city,
            0.0,
            "无法定位，转市级中心人工分拨 / unresolved; sent to the city centre for manual triage",
            "fallback",
        )
    if had_point:
        return Unresolvable(f"坐标({lon}, {lat})不在重庆市范围内 / The point lies outside Chongqing.", field="lon")
    return Unresolvable(
        "地址中未找到重庆的区县、镇街或村社名称 / No Chongqing district, street or community name found.",
        field="text",
    )
