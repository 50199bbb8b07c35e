"""The 5×5 likelihood × consequence matrix (GB/T 42768 风险矩阵) and the four levels it gives.

score = likelihood (1 极不可能 … 5 很可能) × consequence (1 轻微 … 5 特别严重), 1..25, banded:

    20–25 重大 (major, red)      both factors ≥ 4: likely and severe
    10–16 较大 (significant, orange)
     5–9  一般 (general, yellow)
     1–4  低   (low, blue)

The bands are this project's choice (docs/risks.md says why): they are the ones the LS (R = L × S) method of
Chinese 安全风险分级管控 practice uses, and they put every cell whose factors are both ≥ 4 in red while
no cell with a factor ≤ 2 is ever red. Change them here and only here.
"""

from __future__ import annotations

from cityops.core.errors import Invalid

LEVELS = ("major", "significant", "general", "low")  # most severe first
BANDS: tuple[tuple[int, str], ...] = ((20, "major"), (10, "significant"), (5, "general"), (1, "low"))
LEVEL_NAME = {"major": "重大风险", "significant": "较大风险", "general": "一般风险", "low": "低风险"}
LEVEL_NAME_EN = {"major": "Major", "significant": "Significant", "general": "General", "low": "Low"}
LEVEL_COLOR = {"major": "red", "significant": "orange", "general": "yellow", "low": "blue"}
LEVEL_HEX = {"major": "#d7263d", "significant": "#f28c28", "general": "#f5c400", "low": "#2f6fdf"}
LIKELIHOOD = {1: "极不可能", 2: "不太可能", 3: "可能", 4: "较可能", 5: "很可能"}
CONSEQUENCE = {1: "轻微", 2: "较小", 3: "较大", 4: "严重", 5: "特别严重"}


def check_factor(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise Invalid(
            f"{field} 须为 1 到 5 的整数 / {field} must be an integer from 1 to 5",
            field=field,
            code="risk.invalid_score",
        )
    return value


def level_of(likelihood: int, consequence: int) -> tuple[int, str]:
    """(score, level) of one cell of the matrix."""
    score = check_factor(likelihood, "likelihood") * check_factor(consequence, "consequence")
    for floor, level in BANDS:
        if score >= floor:
            return score, level
    raise AssertionError(score)  # unreachable: score ≥ 1


def grid() -> list[list[str]]:
    """The matrix as rows of levels, likelihood 5 first (for the docs and the point page)."""
    return [[level_of(lk, c)[1] for c in range(1, 6)] for lk in range(5, 0, -1)]
