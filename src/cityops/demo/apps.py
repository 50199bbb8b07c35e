"""The demo city's application ledger: every installed application moved to 上线, the reason saying it is
demo data, so the ledger's hourly job can derive 贯通实战 from the simulated use at three levels."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.apps import ledger
from cityops.apps.models import App
from cityops.core.actor import Actor

REASON = "演示城市：应用已上线运行（演示数据） / demo city: launched (demo data)"


def launch_apps(session: Session, actor: Actor) -> int:
    apps = list(session.scalars(select(App).where(App.status == "listed")))
    for app in apps:
        ledger.move(session, actor, app, "launch", REASON)
    return len(apps)
