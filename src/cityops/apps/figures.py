"""The app ledger's runway figures (indicator source "apps"): how many applications are catalogued, in the
ledger (入账 or beyond) and 贯通实战 now. They are the city's figures, so only the city unit gets a value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.apps.models import App

AT_LEAST = {
    "catalogued": ("catalogued", "listed", "launched", "connected"),
    "listed": ("listed", "launched", "connected"),
    "launched": ("launched", "connected"),
    "connected": ("connected",),
}


def count(session: Session, status: str) -> int:
    return int(session.scalar(select(func.count(App.id)).where(App.status.in_(AT_LEAST[status]))) or 0)


def indicator_values(session: Session, ind: Any, units: list[Any], since: Any, until: Any) -> dict[int, float | None]:
    status = str((ind.source or {}).get("status") or "listed")
    if status not in AT_LEAST:
        return {}
    value = float(count(session, status))
    return {u.id: value for u in units if u.level == "city"}
