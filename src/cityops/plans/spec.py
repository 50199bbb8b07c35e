"""The plan format: validation, three-level merging, YAML.

A plan configuration says, for one unit, what that level adds or changes:

    key: gas_leak
    name: 燃气泄漏应急预案
    trigger: {categories: [work_safety.gas_leak], device_types: [gas_pressure], min_severity: high}
    steps:
      - {key: evacuate, kind: task, title: 疏散群众, level: street, deadline: 30m, checklist: [...]}

The city template must be complete; a district or street override names only what differs. Steps
merge by `key` (fields of a same-key step replace the inherited ones, `remove: true` drops it, new
keys are appended), `trigger` merges field by field, and anything unspecified is inherited.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cityops.core.errors import Invalid
from cityops.events.calendar import parse_duration

LEVELS = ("street", "district", "city")
SEVERITY_RANK = {"normal": 0, "high": 1, "urgent": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(_Strict):
    categories: list[str] = Field(default_factory=list, description="event category codes")
    device_types: list[str] = Field(default_factory=list, description="alarms of these device types")
    min_severity: Literal["normal", "high", "urgent"] = "high"


class Step(_Strict):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    kind: Literal["notify", "task"]
    title: str = Field(min_length=1, max_length=200)
    level: Literal["street", "district", "city"] = "street"
    department: str | None = Field(None, max_length=32, description="a department code of the district or city")
    roles: list[Literal["dispatcher", "leader", "handler", "grid_worker"]] = Field(default_factory=list)
    deadline: str | None = None
    mandatory: bool = True
    instructions: str = Field("", max_length=4000)
    checklist: list[str] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)

    @field_validator("deadline")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value, field_name="deadline")
        return value


class EffectivePlan(_Strict):
    key: str
    name: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)


def validate_effective(spec: dict[str, Any]) -> EffectivePlan:
    try:
        plan = EffectivePlan.model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise Invalid(
            f"预案格式错误 / Invalid plan: {where}: {err['msg']}", field=f"spec.{where}", code="plan.invalid_spec"
        ) from None
    keys = [s.key for s in plan.steps]
    if len(keys) != len(set(keys)):
        raise Invalid("步骤 key 重复 / Duplicate step keys", field="spec.steps", code="plan.invalid_spec_steps")
    for step in plan.steps:
        if step.kind == "task" and step.deadline is None:
            raise Invalid(
                f"任务步骤须有时限 / Task step {step.key!r} needs a deadline",
                field="spec.steps",
                code="plan.invalid_spec_steps",
            )
        if step.department and step.level == "street":
            raise Invalid(
                f"镇街没有部门，请用 district 或 city / Step {step.key!r}: streets have no departments",
                field="spec.steps",
                code="plan.invalid_spec_steps",
            )
    return plan


OVERRIDE_FIELDS = {"name", "enabled", "trigger", "steps"}


def check_override(spec: dict[str, Any]) -> None:
    """A partial spec from a district or street: only known fields, steps identified by key."""
    unknown = set(spec) - OVERRIDE_FIELDS - {"key"}
    if unknown:
        raise Invalid(f"未知字段 / Unknown plan fields: {sorted(unknown)}", field="spec", code="plan.invalid_spec")
    if not isinstance(spec.get("trigger", {}), dict):
        raise Invalid(
            "trigger 应为对象 / trigger must be an object", field="spec.trigger", code="plan.invalid_spec_trigger"
        )
    steps = spec.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) and s.get("key") for s in steps):
        raise Invalid("每个步骤须有 key / every step needs a key", field="spec.steps", code="plan.invalid_spec_steps")


def merge(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge specs city first, most specific last."""
    out: dict[str, Any] = {}
    for spec in levels:
        for field_name, value in spec.items():
            if field_name == "trigger":
                out["trigger"] = {**out.get("trigger", {}), **value}
            elif field_name == "steps":
                out["steps"] = _merge_steps(out.get("steps", []), value)
            else:
                out[field_name] = copy.deepcopy(value)
    return out


def _merge_steps(base: list[dict[str, Any]], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = [dict(s) for s in base]
    index = {s["key"]: i for i, s in enumerate(steps)}
    removed: set[str] = set()
    for change in changes:
        key = change["key"]
        if change.get("remove"):
            removed.add(key)
        elif key in index:
            steps[index[key]].update(copy.deepcopy(change))
        else:
            index[key] = len(steps)
            steps.append(copy.deepcopy(change))
    return [s for s in steps if s["key"] not in removed]


def load_yaml(text: str) -> list[dict[str, Any]]:
    """`plans: [...]` or a bare list; each item has key, unit (code) and its spec fields."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(f"YAML 无法解析 / Unreadable YAML: {exc}", field="body", code="plan.invalid_body") from None
    except RecursionError:
        raise Invalid("YAML 嵌套过深 / YAML nested too deeply", field="body", code="plan.invalid_body") from None
    items = data.get("plans") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Invalid("应为 plans 列表 / Expected a list under 'plans'", field="body", code="plan.invalid_body")
    return items


def dump_yaml(items: list[dict[str, Any]]) -> str:
    text: str = yaml.safe_dump({"plans": items}, allow_unicode=True, sort_keys=False, width=120)
    return text
