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


# The risk register's runway: (metric, name, kind, unit, period, better, target) — docs/risks.md
RISK_INDICATORS: list[tuple[str, str, str, str, str, str, float | None]] = [
    ("points_major", "重大风险点数", "vital_sign", "个", "now", "lower", None),
    ("points_significant", "较大风险点数", "vital_sign", "个", "now", "lower", None),
    ("points_general", "一般风险点数", "vital_sign", "个", "now", "lower", None),
    ("points_low", "低风险点数", "vital_sign", "个", "now", "lower", None),
    ("overdue_inspections", "风险点巡查超期数", "kpi", "次", "now", "lower", 0),
    ("open_major_hazards", "未销号重大隐患数", "vital_sign", "项", "now", "lower", None),
    ("rectification_rate", "隐患整改率", "kpi", "%", "year", "higher", None),
]


def _risk_indicator(
    metric: str, name: str, kind: str, unit: str, period: str, direction: str, target: float | None
) -> dict[str, Any]:
    return {
        "code": f"risk_{metric}",
        "name": name,
        "kind": kind,
        "unit": unit,
        "period": period,
        "direction": direction,
        "target": target,
        "drill_level": "street",
        "source": {"type": "risks", "metric": metric},
    }


# The grid KPIs (cityops.grid.kpis, docs/grid.md): (metric, name, unit, fraction). No targets: the reports
# give none. Computed for the district and each street with grid work.
GRID_INDICATORS: list[tuple[str, str, str, bool]] = [
    ("reports_per_worker", "网格员人均上报", "件/人", False),
    ("valid_report_rate", "有效上报率", "%", True),
    ("on_spot_rate", "就地解决率", "%", True),
    ("patrol_coverage", "巡查覆盖率", "%", True),
    ("on_time_checkin_rate", "按时签到率", "%", True),
]


def _grid_indicator(metric: str, name: str, unit: str, fraction: bool) -> dict[str, Any]:
    return {
        "code": f"grid_{metric}",
        "name": name,
        "kind": "kpi",
        "unit": unit,
        "period": "30d",
        "direction": "higher",
        "target": None,
        "drill_level": "street",
        "source": {"type": "grid", "metric": metric, "fraction": fraction},
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
            },
            {
                "code": "risk_register",
                "name": "风险清单",
                # Definitions: docs/risks.md (cityops.risks.figures); no targets where the reports give none.
                "indicators": [
                    _risk_indicator(code, name, kind, unit, period, direction, target)
                    for code, name, kind, unit, period, direction, target in RISK_INDICATORS
                ],
            },
        ],
    },
    {
        "code": "data",
        "name": "数据资源",
        "runways": [
            {
                "code": "data_supply",
                "name": "数据归集与供需",
                "indicators": [
                    {
                        "code": "catalog_aggregated",
                        "name": "归集数据类数",
                        "kind": "vital_sign",
                        "unit": "类",
                        "period": "now",
                        "direction": "higher",
                        "target": None,
                        "source": {"type": "catalog", "metric": "aggregated"},
                    },
                    {
                        # The 2024 report's achieved level (95%) is used as the bar to keep.
                        "code": "catalog_satisfaction",
                        "name": "数据供需满足率",
                        "kind": "kpi",
                        "unit": "%",
                        "period": "year",
                        "direction": "higher",
                        "target": 0.95,
                        "drill_level": "district",
                        "source": {"type": "catalog", "metric": "satisfaction"},
                    },
                ],
            },
            {
                "code": "components",
                "name": "能力组件",
                "indicators": [
                    {
                        "code": "components_listed",
                        "name": "上架能力组件数",
                        "kind": "vital_sign",
                        "unit": "个",
                        "period": "now",
                        "direction": "higher",
                        "target": None,
                        "source": {"type": "catalog", "metric": "components"},
                    },
                    {
                        "code": "components_ai",
                        "name": "AI+能力组件数",
                        "kind": "vital_sign",
                        "unit": "个",
                        "period": "now",
                        "direction": "higher",
                        "target": None,
                        "source": {"type": "catalog", "metric": "components", "kind": "ai_model"},
                    },
                ],
            },
        ],
    },
    {
        "code": "grassroots",
        "name": "基层智治",
        "runways": [
            {"code": "grid_work", "name": "网格治理", "indicators": [_grid_indicator(*g) for g in GRID_INDICATORS]},
            # Indicators over 一表通 report fields, defined by a leader (POST /api/indicators/form).
            {"code": "one_form", "name": "一表通", "indicators": []},
        ],
    },
    {"code": "economy", "name": "经济运行", "runways": [{"code": "economy", "name": "经济运行监测", "indicators": []}]},
]
LOWER_IS_BETTER = ("失业率", "居民消费价格", "能耗", "PM2.5", "负债率")
