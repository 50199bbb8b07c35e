#!/usr/bin/env python3
"""Derive the shipped app bundles (src/cityops/data/bundles/) from the seed data that lived in Python.

Run once by hand (output is committed; see src/cityops/data/bundles/PROVENANCE.md):

    mkdir -p /tmp/seed_src && for f in events/catalogue_data.py:catalogue_data.py \
        sensing/defaults.py:sensing_defaults.py indicators/defaults.py:indicators_defaults.py \
        risks/defaults.py:risks_defaults.py data/default_plans.yaml:default_plans.yaml \
        data/chongqing_indicators.csv:chongqing_indicators.csv; do
      git show "3385f58:src/cityops/${f%%:*}" > "/tmp/seed_src/${f##*:}"; done
    .venv/bin/python scripts/derive_bundles.py /tmp/seed_src

It reads the five seed modules of commit 3385f58 (events.catalogue_data.FAMILIES, sensing.defaults.
DEVICE_TYPES, indicators.defaults.BOARDS, risks.defaults.TREE, data/default_plans.yaml) and
chongqing_indicators.csv (the project's seeds/indicators.csv)
and writes one folder per application. Nothing is typed by hand here except
which application each piece belongs to (the tables below) and each bundle's ledger fields.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1])  # the folder the seed modules of commit 3385f58 were written to
OUT = ROOT / "src" / "cityops" / "data" / "bundles"
LOWER_IS_BETTER = ("失业率", "居民消费价格", "能耗", "PM2.5", "负债率")


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # shared presets are written out in full, item by item
        return True


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# Which application each piece belongs to.
RISK_FAMILIES = {
    "rockfall": ["geohazard"],
    "highrise_fire": ["fire"],
    "lifeline": ["gas", "bridge_tunnel", "waterlogging"],
    "platform": ["hazchem", "crowd"],
}
DEVICE_TYPES = {
    "rockfall": ["rock_displacement", "rainfall"],
    "highrise_fire": ["highrise_fire"],
    "lifeline": ["gas_pressure", "water_pressure", "river_level", "manhole_tilt", "bridge_strain"],
}
RUNWAYS = {
    "minhu": ["disposal", "mhww"],
    "rockfall": ["geohazard"],
    "lifeline": ["lifeline"],
    "economy": ["economy"],
    "platform": ["risk_register", "data_supply", "components"],
}


def write(key: str, name: str, items: list[dict[str, Any]], note: str) -> None:
    folder = OUT / key
    folder.mkdir(parents=True, exist_ok=True)
    text = f"# {note}\n" + yaml.dump(items, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=120)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def categories(src: Path) -> None:
    data = load(src / "catalogue_data.py", "seed_catalogue_data")
    cats: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    for fam_code, (fam_name, fam_en, specs) in data.FAMILIES.items():
        cats.append({"code": fam_code, "name": fam_name, "name_en": fam_en, "parent": None})
        for s in specs:
            code = f"{fam_code}.{s.code}"
            cats.append(
                {
                    "code": code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "parent": fam_code,
                    "severity": s.severity,
                    "deadlines": s.deadlines,
                    "keywords": list(s.keywords),
                    "required": [{"code": c, "name": n, "type": t} for c, n, t in s.required],
                }
            )
            level, assignee, dept = s.owner
            duties.append({"code": code, "level": level, "assignee": assignee, "department": dept})
    note = "derived from events/catalogue_data.py FAMILIES (commit 3385f58) by scripts/derive_bundles.py"
    write("minhu", "categories", cats, note)
    write("minhu", "duties", duties, note + "; the default (city-wide) duty of each category")


def device_types(src: Path) -> None:
    data = load(src / "sensing_defaults.py", "seed_sensing_defaults")
    by_code = {d["code"]: d for d in data.DEVICE_TYPES}
    for key, codes in DEVICE_TYPES.items():
        items = [dict(by_code[c]) for c in codes]
        write(key, "device_types", items, "derived from sensing/defaults.py DEVICE_TYPES (commit 3385f58)")


def risk_categories(src: Path) -> None:
    data = load(src / "risks_defaults.py", "seed_risks_defaults")
    by_code = {f["code"]: (sort, f) for sort, f in enumerate(data.TREE)}
    for key, fams in RISK_FAMILIES.items():
        items: list[dict[str, Any]] = []
        for fam in fams:
            sort, f = by_code[fam]
            items.append({"code": f["code"], "name": f["name"], "name_en": f["en"], "parent": None, "sort": sort})
            for child_sort, leaf in enumerate(f["children"]):
                items.append(
                    {
                        "code": leaf["code"],
                        "name": leaf["name"],
                        "name_en": leaf["en"],
                        "parent": f["code"],
                        "sort": child_sort,
                        "cycle_days": leaf["cycle"],
                        "checklist": list(leaf["checklist"]),
                    }
                )
        write(key, "risk_categories", items, "derived from risks/defaults.py TREE (commit 3385f58)")


def indicators(src: Path) -> None:
    sys.modules.setdefault("cityops.events.kpis", __import__("cityops.events.kpis", fromlist=["KPIS"]))
    data = load(src / "indicators_defaults.py", "seed_indicators_defaults")
    for key, runways in RUNWAYS.items():
        items: list[dict[str, Any]] = []
        for b_sort, board in enumerate(data.BOARDS):
            for r_sort, runway in enumerate(board["runways"]):
                if runway["code"] not in runways:
                    continue
                for spec in runway["indicators"]:
                    items.append(
                        {
                            "code": spec["code"],
                            "board": board["code"],
                            "board_name": board["name"],
                            "board_sort": b_sort,
                            "runway": runway["code"],
                            "runway_name": runway["name"],
                            "runway_sort": r_sort,
                            **{k: spec.get(k) for k in ("name", "kind", "unit", "period", "direction")},
                            **{k: spec.get(k) for k in ("target", "drill_level", "source")},
                        }
                    )
                if runway["code"] == "economy":
                    economy(items, board, b_sort, runway, r_sort)
        note = "derived from indicators/defaults.py BOARDS (commit 3385f58)"
        if key == "economy":
            note += " and data/chongqing_indicators.csv (the project's seeds/indicators.csv, every value quoted)"
        if key == "platform":
            ledger_inds, ledger_values = app_ledger()
            items += ledger_inds + ledger_values
            note += "; the app-ledger runway from reference/seeds-1361.md (quotes of 000/001)"
        write(key, "indicators", [i for i in items if "period_key" not in i], note)
        values = [i for i in items if "period_key" in i]
        if values:
            write(key, "indicator_values", values, note)


def _number(row: dict[str, str] | None) -> float | None:
    if row is None or not row["value"].strip():
        return None
    try:
        return float(row["value"])
    except ValueError:
        return None


def economy(
    items: list[dict[str, Any]], board: dict[str, Any], b_sort: int, runway: dict[str, Any], r_sort: int
) -> None:
    """The 经济运行监测 runway: one indicator per seeds indicator, one value per year with its quotes."""
    with open(SRC / "chongqing_indicators.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_code.setdefault(row["indicator_id"], []).append(row)
    for code, group in by_code.items():
        first = group[0]
        lower = any(k in first["indicator_zh"] for k in LOWER_IS_BETTER)
        lower = lower or any(r["kind"] == "target" and r["comparator"] == "<=" for r in group)
        full = f"economy.{code}"
        items.append(
            {
                "code": full,
                "board": board["code"],
                "board_name": board["name"],
                "board_sort": b_sort,
                "runway": runway["code"],
                "runway_name": runway["name"],
                "runway_sort": r_sort,
                "name": first["indicator_zh"],
                "name_en": first["indicator_en"],
                "kind": "kpi",
                "unit": first["unit"],
                "period": "year",
                "direction": "lower" if lower else "higher",
                "target": None,
                "drill_level": None,
                "source": {"type": "external", "dataset": "seeds"},
            }
        )
        years: dict[str, dict[str, dict[str, str]]] = {}
        for row in group:
            years.setdefault(row["year"], {}).setdefault(row["kind"], row)
        for year, kinds in sorted(years.items()):
            target = kinds.get("target")
            actual = kinds.get("actual") or kinds.get("expected")
            value, goal = _number(actual), _number(target)
            if value is None and goal is None:
                continue
            items.append(
                {
                    "code": f"{full}@{year}",
                    "indicator": full,
                    "period_key": year,
                    "value": value,
                    "target": goal,
                    "comparator": (target["comparator"] if target else "") or "=",
                    "provenance": {
                        k: {
                            "doc": r["source_doc"],
                            "quote": r["source_quote"],
                            "raw": r["value_raw"],
                            "file": r["source_file"],
                            "kind": r["kind"],
                        }
                        for k, r in (("target", target), ("value", actual))
                        if r
                    },
                }
            )


# The app ledger's runway: 编目/入账/贯通实战 counts from the ledger (source "apps"), with the figures and
# targets the reports give (reference/seeds-1361.md §2.3 and §6 quote them; seeds/*.csv has no such rows).
GWR_2025 = "2025年政府工作报告（000 GWR）"
PLAN_2025 = "关于重庆市2024年国民经济和社会发展计划执行情况及2025年计划草案的报告（000 PLAN）"
PLAN_2024 = "关于重庆市2023年国民经济和社会发展计划执行情况及2024年计划草案的报告（001 PLAN）"
F000, F001 = "000_6b9f14da71328ebc.txt", "001_5ae12cae80745738.txt"
APP_LEDGER = [
    (
        "apps_catalogued",
        "编目应用数",
        "catalogued",
        [("2023", 4084, None, "=", PLAN_2024, F001, "编目各类应用4084个", None)],
    ),
    ("apps_listed", "入账应用数", "listed", [("2024", 354, None, "=", GWR_2025, F000, "累计入账应用354个", None)]),
    (
        "apps_connected",
        "贯通实战应用数",
        "connected",
        [
            ("2024", 60, None, "=", PLAN_2025, F000, "等60个应用贯通实战", None),
            ("2025-04", None, 200, ">", GWR_2025, F000, None, "力争今年4月贯通实战应用超过200个、年底超过260个"),
            ("2025", None, 260, ">", GWR_2025, F000, None, "力争今年4月贯通实战应用超过200个、年底超过260个"),
        ],
    ),
]


def app_ledger() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inds: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for code, name, status, rows in APP_LEDGER:
        inds.append(
            {
                "code": code,
                "board": "apps",
                "board_name": "六大应用系统",
                "board_sort": 5,
                "runway": "app_ledger",
                "runway_name": "应用台账",
                "runway_sort": 0,
                "name": name,
                "kind": "vital_sign",
                "unit": "个",
                "period": "year",
                "direction": "higher",
                "target": None,
                "drill_level": None,
                "source": {"type": "apps", "status": status},
            }
        )
        for period, value, target, comparator, doc, file, vquote, tquote in rows:
            prov = {}
            if vquote:
                prov["value"] = {"doc": doc, "quote": vquote, "raw": vquote, "file": file, "kind": "actual"}
            if tquote:
                prov["target"] = {"doc": doc, "quote": tquote, "raw": tquote, "file": file, "kind": "target"}
            values.append(
                {
                    "code": f"{code}@{period}",
                    "indicator": code,
                    "period_key": period,
                    "value": value,
                    "target": target,
                    "comparator": comparator,
                    "provenance": prov,
                }
            )
    return inds, values


def plans(src: Path) -> None:
    items = yaml.safe_load((src / "default_plans.yaml").read_text(encoding="utf-8"))["plans"]
    out = [{k: v for k, v in item.items() if k != "unit"} for item in items]
    write("direct_report", "plans", out, "derived from data/default_plans.yaml (commit 3385f58); city templates")


def main() -> None:
    src = SRC
    categories(src)
    device_types(src)
    risk_categories(src)
    indicators(src)
    plans(src)


if __name__ == "__main__":
    main()
