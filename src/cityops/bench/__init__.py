"""Benchmarks for `cityops bench`: each prints our figure, a raw baseline measured in the same run, and the ratio."""

from __future__ import annotations

import platform
from dataclasses import dataclass


@dataclass
class BenchResult:
    name: str
    what: str
    ours: float
    baseline: float
    unit: str
    baseline_what: str
    target: str = ""
    notes: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    def lines(self) -> list[str]:
        return [
            f"## {self.name}",
            f"- ours: **{self.ours:,.0f} {self.unit}** — {self.what}",
            f"- baseline: {self.baseline:,.0f} {self.unit} — {self.baseline_what}",
            f"- ratio ours/baseline: {self.ratio:.2f}" + (f"; target {self.target}" if self.target else ""),
            *([f"- {self.notes}"] if self.notes else []),
        ]


def machine() -> str:
    import os

    system = f"{platform.system()} {platform.release()}"
    return f"{platform.node()} · {system} · {os.cpu_count()} cores · Python {platform.python_version()}"
