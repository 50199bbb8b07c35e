"""Render the event permission table for docs/permissions.md (a test keeps the doc equal to the code)."""

from __future__ import annotations

from cityops.events.flow import EVENT_FLOW, PERMISSIONS

RELATIONS = {
    "centre": "the dispatching centre's unit or any unit above it",
    "above": "a unit strictly above the dispatching centre",
    "assignee": "the assigned department's staff, or the assigned centre's own staff",
    "reporter_or_centre": "the citizen who reported it, or the dispatching centre (callback)",
}


def render() -> str:
    lines = ["| action | roles | who, relative to the event | from states |", "|---|---|---|---|"]
    for action, rule in PERMISSIONS.items():
        states = sorted({s for (s, a) in EVENT_FLOW.table if a == action})
        lines.append(
            f"| `{action}` | {', '.join(sorted(rule.roles))} | {RELATIONS[rule.relation]} — {rule.note} "
            f"| {', '.join(states)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
