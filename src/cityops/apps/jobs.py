"""Jobs the worker runs for the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cityops.apps import usage


def derive_connected(session: Session, now: datetime) -> int:
    return len(usage.derive(session, now))
