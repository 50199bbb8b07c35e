"""Workflows as data: a table {(state, action): next_state} with guards; knows no domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cityops.core.errors import Conflict


class InvalidTransition(Conflict):
    message = "当前状态下不能执行该操作 / This action is not allowed in the current state."
    default_code = "workflow.invalid_transition"


@dataclass(frozen=True)
class Flow:
    name: str
    table: Mapping[tuple[str, str], str]
    # Chinese names of states and actions, so a refused move reads 「待签收」状态下不能「受理」, not raw codes.
    labels: Mapping[str, str] = field(default_factory=dict)
    code: str = "workflow.invalid_transition"  # the error code a refused move carries, e.g. plan.invalid_transition
    # Per action, where one refusal has a name of its own that clients already branch on (alarm.already_cleared).
    codes: Mapping[str, str] = field(default_factory=dict)
    STAY: ClassVar[str] = "="

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def allowed(self, state: str) -> list[str]:
        return sorted({action for (s, action) in self.table if s == state})

    def next_state(self, state: str, action: str) -> str:
        target = self.table.get((state, action))
        if target is None:
            raise InvalidTransition(
                f"「{self.label(state)}」状态下不能「{self.label(action)}」 / cannot {action} an item that is {state}",
                state=state,
                action=action,
                allowed=self.allowed(state),
                code=self.codes.get(action, self.code),
            )
        return state if target == self.STAY else target

    def actions(self) -> list[str]:
        return sorted({a for (_, a) in self.table})

    def states(self) -> list[str]:
        return sorted({s for (s, _) in self.table} | {t for t in self.table.values() if t != self.STAY})


def describe(flow: Flow) -> dict[str, Any]:
    """The table as JSON for docs and the UI."""
    return {
        "name": flow.name,
        "transitions": [
            {"from": s, "action": a, "to": s if t == Flow.STAY else t} for (s, a), t in sorted(flow.table.items())
        ],
    }
