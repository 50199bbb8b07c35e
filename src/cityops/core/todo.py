"""待办 (my work): one shape for an item that waits on a user, whatever domain it comes from.

Each domain that puts work in front of people offers `todo_items(session, actor, now) -> list[TodoItem]`
in its service (scoped to the actor like every list); the workspace page gathers them and sorts by
urgency. An item knows its deadline, so the page can count down and sort without asking the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TodoItem:
    kind: str  # "<domain>.<what>", e.g. "event.dispatch", "plan.task", "risk.inspection"
    kind_label: str  # shown to the user, Chinese first: "待派遣 / To dispatch"
    title: str
    url: str  # the page where the user acts on it
    unit_name: str
    due_at: datetime | None  # aware UTC; None when the item has no deadline
    urgent: bool = False  # e.g. a 突发事件直报 waiting for acknowledgement, a 督办 event
    ref: str = ""

    def sort_key(self, now: datetime) -> tuple[int, float]:
        """Urgent first, then the nearest (or most overdue) deadline, then items without one."""
        if self.due_at is None:
            return (0 if self.urgent else 1, float("inf"))
        return (0 if self.urgent else 1, (self.due_at - now).total_seconds())
