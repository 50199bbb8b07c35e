"""Alarm rules compiled once into small Python objects; evaluating a reading is a few comparisons.

Rule specs (JSON, per device type, overridable per device by `id`):
  threshold  {"raise": [[10, "major"], [30, "critical"]], "clear": 5, "below": false}  (hysteresis)
  rate       {"window_s": 3600, "per_hour": 5}        change per hour over the window (negative: falling)
  offline    {"intervals": 5}                           no reading for N × the expected interval (a job checks)
  composite  {"op": "and"|"or", "of": [rule ids], "window_s": 3600}  the rules held within the window
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cityops.core.errors import Invalid
from cityops.sensing.models import SEVERITY_RANK, Severity

KINDS = ("threshold", "rate", "offline", "composite")


@dataclass
class Rule:
    id: str
    kind: str
    type: str  # the alarm type it raises (de-duplication key with the device)
    severity: str = Severity.major
    levels: list[tuple[float, str]] = field(default_factory=list)
    clear: float | None = None
    below: bool = False
    window_s: float = 0
    per_hour: float = 0
    intervals: int = 0
    op: str = "and"
    of: list[str] = field(default_factory=list)


def _severity(value: Any, where: str) -> str:
    if value not in Severity.__members__:
        raise Invalid(f"未知告警级别 / unknown severity {value!r}", field=where, code="rule.unknown_severity")
    return str(value)


def compile_rule(spec: dict[str, Any], where: str = "rules") -> Rule:
    """Validate one spec and turn it into a Rule (422 naming the field on bad input)."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise Invalid(
            f"规则类型须为 {KINDS} / kind must be one of {KINDS}", field=f"{where}.kind", code="rule.unknown_kind"
        )
    rid, rtype = str(spec.get("id") or ""), str(spec.get("type") or "")
    if not rid or not rtype:
        raise Invalid(
            "规则须有 id 和 type / a rule needs an id and a type", field=f"{where}.id", code="rule.id_and_type_required"
        )
    rule = Rule(id=rid, kind=kind, type=rtype, severity=_severity(spec.get("severity", "major"), f"{where}.severity"))
    try:
        if kind == "threshold":
            rule.below = bool(spec.get("below", False))
            rule.levels = sorted(
                ((float(v), _severity(s, f"{where}.raise")) for v, s in spec["raise"]), reverse=rule.below
            )
            rule.clear = float(spec["clear"])
            first = rule.levels[0][0]
            if (rule.below and rule.clear < first) or (not rule.below and rule.clear > first):
                raise Invalid(
                    "清除值须在触发值的安全一侧 / clear must be on the safe side of the raise level",
                    field=f"{where}.clear",
                    code="rule.clear_on_wrong_side",
                )
        elif kind == "rate":
            rule.window_s, rule.per_hour = float(spec["window_s"]), float(spec["per_hour"])
        elif kind == "offline":
            rule.intervals = int(spec["intervals"])
        else:
            rule.op, rule.of, rule.window_s = str(spec["op"]), [str(x) for x in spec["of"]], float(spec["window_s"])
            if rule.op not in ("and", "or") or not rule.of:
                raise Invalid("op 须为 and 或 or，of 不能为空", field=f"{where}.op", code="rule.invalid_op")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise Invalid(
            f"规则 {rid} 参数不完整 / rule {rid} is missing or has a bad parameter: {exc}",
            field=where,
            code="rule.bad_parameter",
        ) from None
    return rule


def merge_specs(base: list[dict[str, Any]], overrides: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Device overrides replace the type's rules with the same id (fields merged) and may add new ones."""
    by_id = {str(r.get("id")): dict(r) for r in base}
    for o in overrides or []:
        rid = str(o.get("id"))
        by_id[rid] = {**by_id.get(rid, {}), **o}
    return list(by_id.values())


def compile_rules(specs: list[dict[str, Any]]) -> list[Rule]:
    rules = [compile_rule(s, f"rules[{i}]") for i, s in enumerate(specs)]
    ids = {r.id for r in rules}
    for r in rules:
        if r.kind == "composite" and not set(r.of) <= ids:
            raise Invalid(
                f"组合规则引用了不存在的规则 / composite {r.id} refers to unknown rules",
                field=f"rules.{r.id}.of",
                code="rule.unknown_reference",
            )
    return rules


@dataclass
class Change:
    rule: Rule
    raised: bool  # True: raised or severity went up; False: cleared
    severity: str
    ts: datetime
    value: float


@dataclass
class DeviceState:
    """What the rules remember about one device between readings (in the ingest process)."""

    rules: list[Rule]
    history: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=512))
    active: dict[str, str] = field(default_factory=dict)  # rule id -> current severity
    last_held: dict[str, float] = field(default_factory=dict)  # rule id -> epoch seconds it last held
    seen_ts: float = float("-inf")  # the newest reading the rules have seen

    def __post_init__(self) -> None:
        self.horizon = max([r.window_s for r in self.rules if r.kind in ("rate", "composite")] + [0.0])
        self._checks: list[tuple[Rule, Callable[[float, float], str | None]]] = [
            (r, self._compile(r)) for r in self.rules if r.kind in ("threshold", "rate")
        ]
        self._composites = [r for r in self.rules if r.kind == "composite"]
        self._quiet = self._quiet_band()

    def _quiet_band(self) -> tuple[float, float] | None:
        """For a device with threshold rules only: the open band of values that can change nothing while no
        alarm is active (below every raise level), so most readings skip the rules. None: no such band."""
        if any(r.kind in ("rate", "composite") for r in self.rules):
            return None
        lo, hi = float("-inf"), float("inf")
        for rule in self.rules:
            for level, _ in rule.levels if rule.kind == "threshold" else ():
                if rule.below:
                    lo = max(lo, level)
                else:
                    hi = min(hi, level)
        return lo, hi

    def _compile(self, rule: Rule) -> Callable[[float, float], str | None]:
        if rule.kind == "threshold":
            levels, clear, below = rule.levels, rule.clear, rule.below

            def threshold(ts: float, value: float) -> str | None:
                reached = None
                for level, sev in levels:
                    if (value <= level) if below else (value >= level):
                        reached = sev
                if reached is not None:
                    return reached
                current = self.active.get(rule.id)
                if current is not None and not ((value >= clear) if below else (value <= clear)):  # type: ignore[operator]
                    return current  # hysteresis: held until the clear level is passed
                return None

            return threshold

        window, per_hour = rule.window_s, rule.per_hour

        def rate(ts: float, value: float) -> str | None:
            oldest = None
            for t, v in self.history:
                if ts - t <= window:
                    oldest = (t, v)
                    break
            if oldest is None or ts - oldest[0] < min(60.0, window / 4):
                return None
            change = (value - oldest[1]) / ((ts - oldest[0]) / 3600)
            held = change >= per_hour if per_hour >= 0 else change <= per_hour
            return rule.severity if held else None

        return rate

    def evaluate(self, at: datetime, value: float, ts: float | None = None) -> list[Change]:
        """The changes one reading makes (`ts`: `at` in epoch seconds, when the caller has it already)."""
        if ts is None:
            ts = at.timestamp()
        if ts < self.seen_ts:
            return []  # a late reading is stored and rolled up, but alarms move forward in time only
        self.seen_ts = ts
        quiet = self._quiet
        if quiet is not None and not self.active and quiet[0] < value < quiet[1]:
            return []
        changes: list[Change] = []
        for rule, check in self._checks:
            self._apply(rule, check(ts, value), at, ts, value, changes)
        if self.horizon:  # only rate and composite rules look back
            history = self.history
            while history and ts - history[0][0] > self.horizon:
                history.popleft()
            history.append((ts, value))
        for rule in self._composites:
            held = [ts - self.last_held.get(r, -1e18) <= rule.window_s for r in rule.of]
            ok = all(held) if rule.op == "and" else any(held)
            self._apply(rule, rule.severity if ok else None, at, ts, value, changes)
        return changes

    def _apply(
        self, rule: Rule, severity: str | None, at: datetime, ts: float, value: float, changes: list[Change]
    ) -> None:
        current = self.active.get(rule.id)
        if severity is not None:
            self.last_held[rule.id] = ts
            if current is None or SEVERITY_RANK[Severity(severity)] > SEVERITY_RANK[Severity(current)]:
                self.active[rule.id] = severity
                changes.append(Change(rule, True, severity, at, value))
        elif current is not None:
            del self.active[rule.id]
            changes.append(Change(rule, False, current, at, value))
