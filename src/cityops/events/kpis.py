"""The closed-loop KPIs, each defined once: formula, period and source. The cockpit tiles, the runways,
the indicator pages and /api/metrics all read a KPI through `value()`, so one KPI shows one number.

The definitions follow the 数字城管 evaluation practice (按期结案率 = closed on time ÷ due to close,
结案率, 返工率, 超期率, 满意率); docs/kpis.md renders this table (tests/indicators/test_kpis.py checks
the two agree). Rates are computed over a rolling window of local (China) days so that a figure never
collapses to nothing at midnight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from cityops.events.calendar import CST

if TYPE_CHECKING:
    from cityops.events.metrics import Figures

ROLLING_DAYS = 30


@dataclass(frozen=True)
class Period:
    code: str
    name: str
    name_en: str


PERIODS = {
    "30d": Period("30d", f"近{ROLLING_DAYS}日（含今日）", f"last {ROLLING_DAYS} days incl. today"),
    "today": Period("today", "今日（北京时间）", "today (China time)"),
    "now": Period("now", "当前", "right now"),
}


def window(period: str, now: datetime) -> tuple[date, date]:
    """The local days [since, until] a period covers at `now` (a snapshot period covers today only)."""
    today = now.astimezone(CST).date()
    if period == "30d":
        return today - timedelta(days=ROLLING_DAYS - 1), today
    return today, today


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    name_en: str
    period: str  # a key of PERIODS
    kind: str  # rate (a fraction 0..1, shown as %) | count | hours
    unit: str  # what a count or duration is counted in (件, 小时); "%" for rates
    formula: str  # in words, as docs/kpis.md prints it
    source: str
    direction: str  # higher | lower (is better)
    numerator: Callable[[Figures], float]
    denominator: Callable[[Figures], float] | None = None

    def value(self, f: Figures) -> float | None:
        top = self.numerator(f)
        if self.denominator is None:
            return top
        bottom = self.denominator(f)
        if not bottom:
            return None
        ratio = top / bottom
        return round(ratio, 4) if self.kind == "rate" else round(ratio, 2)


_STAT = "event_stat（每日计数）"
_GAUGE = "event_gauge（当前在办、超期数）"
KPIS: dict[str, Kpi] = {
    k.code: k
    for k in (
        Kpi(
            "on_time_rate",
            "按期办结率",
            "On-time closure rate",
            "30d",
            "rate",
            "%",
            "期内按期办结数 ÷（期内办结数 + 当前在办超期数）；超期未办结的事件在办结前一直计入分母",
            f"{_STAT} closed_on_time、closed；{_GAUGE} overdue",
            "higher",
            lambda f: f.closed_on_time,
            lambda f: f.closed + f.overdue,
        ),
        Kpi(
            "closure_rate",
            "结案率",
            "Closure rate",
            "30d",
            "rate",
            "%",
            "期内办结数 ÷（期内办结数 + 当前在办数）",
            f"{_STAT} closed；{_GAUGE} open",
            "higher",
            lambda f: f.closed,
            lambda f: f.closed + f.open,
        ),
        Kpi(
            "rework_rate",
            "返工率",
            "Rework rate",
            "30d",
            "rate",
            "%",
            "期内核查不通过、退回处置次数 ÷ 期内核查次数（通过 + 不通过）",
            f"{_STAT} reworked、checked",
            "lower",
            lambda f: f.reworked,
            lambda f: f.checked,
        ),
        Kpi(
            "overdue_rate",
            "超期率",
            "Overdue rate",
            "now",
            "rate",
            "%",
            "当前在办超期数 ÷ 当前在办数",
            f"{_GAUGE} overdue、open",
            "lower",
            lambda f: f.overdue,
            lambda f: f.open,
        ),
        Kpi(
            "satisfaction_rate",
            "群众满意率",
            "Satisfaction rate",
            "30d",
            "rate",
            "%",
            "期内评价为满意或基本满意的件数 ÷ 期内评价件数",
            f"{_STAT} satisfied、rated",
            "higher",
            lambda f: f.satisfied,
            lambda f: f.rated,
        ),
        Kpi(
            "return_rate",
            "退单率",
            "Return rate",
            "30d",
            "rate",
            "%",
            "期内承办方退单次数 ÷ 期内受理件数",
            f"{_STAT} returned、received",
            "lower",
            lambda f: f.returned,
            lambda f: f.received,
        ),
        Kpi(
            "received",
            "受理量",
            "Received",
            "30d",
            "count",
            "件",
            "期内受理（立案）件数",
            f"{_STAT} received",
            "higher",
            lambda f: f.received,
        ),
        Kpi(
            "avg_handling_hours",
            "平均办结时长",
            "Average handling time",
            "30d",
            "hours",
            "小时",
            "期内办结事件自受理至办结的小时数之和 ÷ 期内办结数",
            f"{_STAT} handling_seconds、closed",
            "lower",
            lambda f: f.handling_seconds / 3600,
            lambda f: f.closed,
        ),
        Kpi(
            "received_today",
            "今日受理",
            "Received today",
            "today",
            "count",
            "件",
            "今日（北京时间零点起）受理件数",
            f"{_STAT} received",
            "higher",
            lambda f: f.received,
        ),
        Kpi(
            "closed_today",
            "今日办结",
            "Closed today",
            "today",
            "count",
            "件",
            "今日（北京时间零点起）办结件数",
            f"{_STAT} closed",
            "higher",
            lambda f: f.closed,
        ),
        Kpi(
            "open",
            "在办",
            "Open",
            "now",
            "count",
            "件",
            "当前未办结、未作废、未并案的件数",
            _GAUGE,
            "lower",
            lambda f: f.open,
        ),
        Kpi(
            "overdue",
            "超期",
            "Overdue",
            "now",
            "count",
            "件",
            "当前在办且已超期的件数",
            _GAUGE,
            "lower",
            lambda f: f.overdue,
        ),
    )
}


def value(code: str, f: Figures) -> float | None:
    return KPIS[code].value(f)


def period_label(code: str, en: bool = False) -> str:
    period = PERIODS[KPIS[code].period]
    return period.name_en if en else period.name


def render_table() -> str:
    """The KPI table of docs/kpis.md, generated from the definitions above."""
    lines = [
        "| 代码 code | 指标 KPI | 公式 formula | 期间 period | 来源 source | 方向 |",
        "|---|---|---|---|---|---|",
    ]
    for k in KPIS.values():
        period = PERIODS[k.period]
        shown = "比率，显示为 %" if k.kind == "rate" else f"{k.unit}"
        lines.append(
            f"| `{k.code}` | {k.name} / {k.name_en}（{shown}） | {k.formula} | {period.name} / {period.name_en} "
            f"| {k.source} | {'越高越好' if k.direction == 'higher' else '越低越好'} |"
        )
    return "\n".join(lines) + "\n"
