"""Geo-resolution: point -> district (polygon containment), address text -> district/street/community.

Indexes are built once per process from the database and rebuilt when the org tree changes
(a cheap signature query detects that).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.cache import VersionedCache
from cityops.core.errors import Invalid
from cityops.org.defaults import OLD_NAMES, SPECIAL_ZONES
from cityops.org.geotext import MAX_CANDIDATES, TRIAGE_CONFIDENCE, IndexedUnit, NameMatch, chains, is_generic
from cityops.org.models import OrgLevel, OrgUnit, UnitGeometry
from cityops.org.naming import aliases
from cityops.org.service import org_signature

MAX_NAME = 14
MAX_READINGS = 50_000  # remembered address readings per index (a few MB)
_DIGITS = re.compile(r"[0-9]+")
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
    candidates: list[dict[str, object]] = field(default_factory=list)  # for triage: the units it may mean


@dataclass
class GeoIndex:
    signature: Hashable
    units: dict[int, IndexedUnit] = field(default_factory=dict)
    names: dict[str, list[tuple[int, bool]]] = field(default_factory=lambda: defaultdict(list))
    district_ids: list[int] = field(default_factory=list)
    tree: shapely.STRtree | None = None
    # first character -> the lengths of the names that start with it: the scan tries only those
    lengths_by_first: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # No indexed name holds an ASCII digit, so runs of digits (house numbers) never change what a text
    # names: texts that differ only there share one reading (see `resolve_text`).
    digit_free: bool = True
    readings: dict[str, Resolution | None] = field(default_factory=dict)
    city_id: int | None = None

    def lineage(self, u: IndexedUnit) -> tuple[int | None, int | None, int | None]:
        district = u.id if u.level == OrgLevel.district else u.district_id
        street = u.id if u.level == OrgLevel.street else u.street_id
        community = u.id if u.level == OrgLevel.community else None
        return district, street, community

    def result(self, u: IndexedUnit, confidence: float, reason: str, method: str) -> Resolution:
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
        u = IndexedUnit(uid, name, level, parent_id, path)
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
    by_first: dict[str, set[int]] = defaultdict(set)
    for name in idx.names:
        if len(name) <= MAX_NAME:
            by_first[name[0]].add(len(name))
    idx.lengths_by_first = {c: tuple(sorted(ls, reverse=True)) for c, ls in by_first.items()}
    idx.digit_free = not any(_DIGITS.search(name) for name in idx.names)
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
def _scan(idx: GeoIndex, text: str) -> list[NameMatch]:
    """Every unit name occurring in `text` (only positions that can start a name, only lengths names have)."""
    found: list[NameMatch] = []
    n = len(text)
    names, lengths_of, units = idx.names, idx.lengths_by_first, idx.units
    for i in range(n - 1):
        lengths = lengths_of.get(text[i])
        if lengths is None:
            continue
        for length in lengths:
            if i + length <= n and (hits := names.get(text[i : i + length])):
                found.extend(NameMatch(i, i + length, units[uid], full) for uid, full in hits)
    return found


def _candidates(idx: GeoIndex, units: list[IndexedUnit]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for u in units[:MAX_CANDIDATES]:
        district = idx.units.get(u.district_id) if u.district_id else None
        out.append({"unit_id": u.id, "name": u.name, "district": district.name if district else u.name})
    return out


def _triage(idx: GeoIndex, form: str, units: list[IndexedUnit], why: str) -> Resolution | None:
    if idx.city_id is None:
        return None
    listed = "、".join(f"{c['name']}（{c['district']}）" for c in _candidates(idx, units))
    reason = (
        f"{why}『{form}』，全市{len(units)}处：{listed}；转人工分拨 / only a generic or shared name, "
        f"{len(units)} candidates: sent for manual triage"
    )
    res = idx.result(idx.units[idx.city_id], TRIAGE_CONFIDENCE, reason, "triage")
    res.candidates = _candidates(idx, units)
    return res


def resolve_text(idx: GeoIndex, text: str) -> Resolution | None:
    """The deepest unit the text names, read as a chain district > street > community that agrees with
    itself: a name found inside the district (or street) the text names wins over a same-named unit
    elsewhere; a generic or shared name alone goes to triage with its candidates.

    Readings are remembered per index (a bulk import repeats its addresses, a hotline its hot spots),
    keyed by the text with each digit run written as one 0 when no name holds a digit: a digit run never
    starts, ends or joins a name, so the names found, and so the reading, are the same."""
    text = "".join(text.split())
    if not text:
        return None
    key = _DIGITS.sub("0", text) if idx.digit_free else text
    if key not in idx.readings:
        if len(idx.readings) >= MAX_READINGS:
            idx.readings.clear()
        idx.readings[key] = _read(idx, key)
    found = idx.readings[key]
    return None if found is None else replace(found, candidates=list(found.candidates))


def _read(idx: GeoIndex, text: str) -> Resolution | None:
    readings = chains(_scan(idx, text))
    if not readings:
        return None
    keys = [c.key() for c in readings]
    top = max(keys)
    best = [c for c, k in zip(readings, keys, strict=True) if k == top]
    deepest = {c.deepest.unit.id: c.deepest.unit for c in best}
    chain = best[0]
    if len(deepest) > 1:
        districts = {u.id if u.level == OrgLevel.district else u.district_id for u in deepest.values()}
        bare = chain.street is None and chain.district is None
        if (
            len(districts) > 1
            or None in districts
            or (bare and any(u.level == OrgLevel.community for u in deepest.values()))
        ):
            form = text[chain.deepest.start : chain.deepest.end]
            return _triage(idx, form, list(deepest.values()), "同名地名")
        common = idx.units[next(iter(districts))]  # type: ignore[index]
        shared = f"{common.name}（{len(deepest)}处同名 / {len(deepest)} units share the name）"
        return idx.result(common, CONFIDENCE[(OrgLevel.district, False)], "地名匹配 / name match: " + shared, "text")
    if chain.street is None and chain.district is None and is_generic(chain.deepest, text):
        form = text[chain.deepest.start : chain.deepest.end]
        same = [idx.units[uid] for uid, _ in idx.names.get(form, [])]
        return _triage(idx, form, same or [chain.deepest.unit], "仅有通用地名")
    ms = [m for m in (chain.district, chain.street, chain.deepest) if m is not None]
    parts = [f"{m.unit.name}『{text[m.start : m.end]}』" for m in ms]
    d = chain.deepest
    return idx.result(
        d.unit, CONFIDENCE[(OrgLevel(d.unit.level), d.full)], "地名匹配 / name match: " + " > ".join(parts), "text"
    )


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
    if by_text is not None and by_text.method == "triage" and not fallback:
        return Unresolvable(by_text.reason, field="text", candidates=by_text.candidates, code="geo.ambiguous_name")
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
