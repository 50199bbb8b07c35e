"""Default device types with their rules (thresholds are typical engineering values, editable per type
and per device; they are defaults to start from, not regulation)."""

from __future__ import annotations

from typing import Any

DEVICE_TYPES: list[dict[str, Any]] = [
    {
        "code": "rock_displacement",
        "name": "危岩位移计",
        "unit": "mm",
        "expected_interval_s": 60,
        "sector": None,
        "category_code": "geohazard.rockfall",
        "min_value": -500,
        "max_value": 500,
        "rules": [
            {
                "id": "disp",
                "kind": "threshold",
                "type": "危岩位移超限",
                "raise": [[10, "major"], [30, "critical"]],
                "clear": 5,
            },
            {
                "id": "disp_rate",
                "kind": "rate",
                "type": "危岩位移速率异常",
                "window_s": 3600,
                "per_hour": 5,
                "severity": "major",
            },
            {"id": "offline", "kind": "offline", "type": "设备离线", "intervals": 5, "severity": "warning"},
        ],
    },
    {
        "code": "gas_pressure",
        "name": "燃气管网压力计",
        "unit": "kPa",
        "expected_interval_s": 30,
        "sector": "气",
        "category_code": "lifeline.gas_pipeline",
        "min_value": 0,
        "max_value": 1000,
        "rules": [
            {
                "id": "low",
                "kind": "threshold",
                "type": "燃气压力过低",
                "below": True,
                "raise": [[1.5, "major"], [0.8, "critical"]],
                "clear": 2.0,
            },
            {"id": "high", "kind": "threshold", "type": "燃气压力过高", "raise": [[4.5, "major"]], "clear": 4.0},
            {"id": "offline", "kind": "offline", "type": "设备离线", "intervals": 5, "severity": "warning"},
        ],
    },
    {
        "code": "water_pressure",
        "name": "供水管网压力计",
        "unit": "MPa",
        "expected_interval_s": 60,
        "sector": "水",
        "category_code": "lifeline.water_main",
        "min_value": 0,
        "max_value": 5,
        "rules": [
            {
                "id": "burst",
                "kind": "rate",
                "type": "疑似爆管（压力骤降）",
                "window_s": 300,
                "per_hour": -3,
                "severity": "major",
            },
            {
                "id": "low",
                "kind": "threshold",
                "type": "供水压力过低",
                "below": True,
                "raise": [[0.14, "minor"]],
                "clear": 0.2,
            },
        ],
    },
    {
        "code": "highrise_fire",
        "name": "高层建筑烟感温感",
        "unit": "℃",
        "expected_interval_s": 60,
        "sector": None,
        "category_code": "work_safety.highrise_fire",
        "min_value": -40,
        "max_value": 1200,
        "rules": [
            {
                "id": "temp",
                "kind": "threshold",
                "type": "高楼火警",
                "raise": [[57, "major"], [70, "critical"]],
                "clear": 45,
            }
        ],
    },
    {
        "code": "rainfall",
        "name": "雨量计",
        "unit": "mm/h",
        "expected_interval_s": 300,
        "sector": None,
        "category_code": "lifeline.waterlogging",
        "min_value": 0,
        "max_value": 500,
        "rules": [
            {
                "id": "storm",
                "kind": "threshold",
                "type": "短时强降雨",
                "raise": [[20, "minor"], [50, "major"]],
                "clear": 10,
            }
        ],
    },
    {
        "code": "river_level",
        "name": "河道水位计",
        "unit": "m",
        "expected_interval_s": 300,
        "sector": "水",
        "category_code": "lifeline.waterlogging",
        "min_value": 0,
        "max_value": 300,
        "rules": [
            {
                "id": "level",
                "kind": "threshold",
                "type": "水位超警戒",
                "raise": [[175, "major"], [180, "critical"]],
                "clear": 172,
            },
            {
                "id": "rise",
                "kind": "rate",
                "type": "水位快速上涨",
                "window_s": 3600,
                "per_hour": 1,
                "severity": "minor",
            },
            {
                "id": "flood",
                "kind": "composite",
                "type": "洪涝复合风险",
                "op": "and",
                "of": ["level", "rise"],
                "window_s": 3600,
                "severity": "critical",
            },
        ],
    },
    {
        "code": "manhole_tilt",
        "name": "智能井盖倾角",
        "unit": "°",
        "expected_interval_s": 600,
        "sector": "路",
        "category_code": "municipal.manhole_missing",
        "min_value": 0,
        "max_value": 180,
        "rules": [{"id": "tilt", "kind": "threshold", "type": "井盖位移倾斜", "raise": [[15, "major"]], "clear": 5}],
    },
    {
        "code": "bridge_strain",
        "name": "桥梁应变计",
        "unit": "με",
        "expected_interval_s": 60,
        "sector": "桥",
        "category_code": "lifeline.bridge_tunnel",
        "min_value": -5000,
        "max_value": 5000,
        "rules": [
            {
                "id": "strain",
                "kind": "threshold",
                "type": "桥梁应变超限",
                "raise": [[800, "major"], [1200, "critical"]],
                "clear": 600,
            }
        ],
    },
]

# Attributes an alarm supplies when the category asks for them.
EVENT_ATTRIBUTES = {"municipal.manhole_missing": {"manhole_type": "智能井盖（传感器告警）"}}
