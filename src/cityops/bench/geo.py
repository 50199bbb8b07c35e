"""Point -> district for a batch of points: one vectorised STRtree query vs a per-point polygon loop."""

from __future__ import annotations

import json
import random
import time

from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from cityops.bench import BenchResult
from cityops.org import geo


def run(session: Session, *, points: int = 10_000, seed: int = 7) -> BenchResult:
    rng = random.Random(seed)
    idx = geo.index(session)
    if idx.tree is None:
        raise RuntimeError("no district polygons: run `cityops org import chongqing` first")
    lons = [rng.uniform(105.3, 110.2) for _ in range(points)]
    lats = [rng.uniform(28.2, 32.2) for _ in range(points)]

    t0 = time.perf_counter()
    ours = geo.districts_for_points(idx, lons, lats)
    ours_s = time.perf_counter() - t0

    polygons = [shape(json.loads(g)) for g in _geometries(session)]
    t0 = time.perf_counter()
    naive: list[int | None] = []
    for lon, lat in zip(lons, lats, strict=True):
        p = Point(lon, lat)
        naive.append(next((i for i, poly in enumerate(polygons) if poly.contains(p)), None))
    base_s = time.perf_counter() - t0

    hits = sum(1 for d in ours if d is not None)
    if hits != sum(1 for d in naive if d is not None):
        raise AssertionError("vectorised and naive resolution disagree")
    return BenchResult(
        name="geo: point → district",
        what=f"{points:,} random points in Chongqing's bounding box, one STRtree query "
        f"({ours_s * 1000:.1f} ms for the batch; {hits:,} inside a district)",
        ours=points / ours_s,
        baseline=points / base_s,
        unit="points/s",
        baseline_what=f"per-point loop over the 38 polygons with shapely contains ({base_s * 1000:.0f} ms)",
        target="10,000 points well under 1 s",
    )


def _geometries(session: Session) -> list[str]:
    from sqlalchemy import select

    from cityops.org.models import UnitGeometry

    return list(session.scalars(select(UnitGeometry.geojson)))
