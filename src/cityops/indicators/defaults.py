"""The default boards → runways → indicators. Closed-loop indicators take their name, period and
direction from the one KPI definition (cityops.events.kpis); only the target is chosen here."""

from __future__ import annotations

from typing import Any

from cityops.events.kpis import KPIS


def event_kpi(code: str, target: float | None, *, indicator_code: str | None = None) -> dict[str, Any]:
    """An indicator over the event counters, computed for every centre unit down to the streets."""
    k = KPIS[code]
    return {
        "code": indicator_code or code,
        "name": k.name,
        "kind": "kpi" if k.kind == "rate" else "vital_sign",
        "unit": "%" if k.kind == "rate" else k.unit,
        "period": k.period,
        "direction": k.direction,
        "target": target,
        "drill_level": "street",
        "source": {"type": "events", "kpi": code},
    }


BOARDS: list[dict[str, Any]] = [
    {
        "code": "facilities",
        "name": "设施运行",
        "runways": [
            {
                "code": "lifeline",
                "name": "城市生命线",
                "indicators": [
                    {
                        "code": "lifeline_critical_alarms",
                        "name": "生命线严重告警数",
                        "kind": "vital_sign",
                        "unit": "个",
                        "period": "now",
                        "direction": "lower",
                        "target": 0,
                        "drill_level": "district",
                        "source": {"type": "alarms", "severity": ["critical"], "sectors": ["水", "气", "电", "桥"]},
                    },
                    {
                        "code": "max_rainfall",
                        "name": "最大小时雨量",
                        "kind": "vital_sign",
                        "unit": "mm/h",
                        "period": "today",
                        "direction": "lower",
                        "target": 20,
                        "drill_level": "district",
                        "source": {"type": "readings", "device_type": "rainfall", "agg": "max"},
                    },
                ],
            },
            {
                "code": "disposal",
                "name": "问题闭环处置",
                "indicators": [
                    event_kpi("on_time_rate", 0.9),
                    event_kpi("closure_rate", None),  # informational: a fresh backlog is not a failure
                    event_kpi("rework_rate", 0.1),
                    event_kpi("overdue_rate", 0.05),
                    event_kpi("return_rate", 0.05),
                ],
            },
        ],
    },
    {
        "code": "services",
        "name": "生产生活服务",
        "runways": [
            {
                "code": "mhww",
                "name": "民呼我为",
                "indicators": [
                    event_kpi("satisfaction_rate", 0.9, indicator_code="satisfaction"),
                    event_kpi("received", None),
                ],
            }
        ],
    },
    {
        "code": "emergency",
        "name": "应急动员",
        "runways": [
            {
                "code": "geohazard",
                "name": "地灾与内涝",
                "indicators": [
                    {
                        "code": "geohazard_alarms",
                        "name": "危岩与水位告警数",
                        "kind": "vital_sign",
                        "unit": "个",
                        "period": "now",
                        "direction": "lower",
                        "target": 0,
                        "drill_level": "district",
                        "source": {"type": "alarms", "severity": ["major", "critical"], "sectors": None},
                    }
                ],
            }
        ],
    },
    {"code": "economy", "name": "经济运行", "runways": [{"code": "economy", "name": "经济运行监测", "indicators": []}]},
]
LOWER_IS_BETTER = ("失业率", "居民消费价格", "能耗", "PM2.5", "负债率")
