"""The wage-account watch (专户预警): a project whose account has paid nothing for its period raises one
warning event per whole period of silence, counted from the last payment (or the account's opening)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import system_actor
from cityops.events.calendar import CST
from cityops.wages.cases import new_case
from cityops.wages.defaults import WARNING_CATEGORY
from cityops.wages.models import Employer, Payment, Project, WageWarning

WATCHED = ("normal", "frozen")  # an open account (a frozen one pays nothing: all the more reason to look)


def silent_projects(session: Session, today: date) -> list[tuple[Project, date, int]]:
    """(project, silent since, whole periods without payment ≥ 1) for every watched project."""
    last = select(Payment.project_id, func.max(Payment.paid_on).label("last")).group_by(Payment.project_id).subquery()
    rows = session.execute(
        select(Project, last.c.last)
        .outerjoin(last, last.c.project_id == Project.id)
        .where(Project.status == "active", Project.account_status.in_(WATCHED))
    ).all()
    out = []
    for project, paid in rows:
        since = paid or project.account_opened_on
        if since is None:
            continue
        periods = (today - since).days // project.pay_period_days
        if periods >= 1:
            out.append((project, since, periods))
    return out


def watch_accounts(session: Session, now: datetime) -> int:
    """Raise the warnings due today; each (project, since, periods) at most once. Returns how many."""
    from cityops.events.intake import IntakeItem, intake_one
    from cityops.events.models import Source

    today = now.astimezone(CST).date()
    done = {
        (p, s, n) for p, s, n in session.execute(select(WageWarning.project_id, WageWarning.since, WageWarning.periods))
    }
    actor = system_actor("system:wages")
    raised = 0
    for project, since, periods in silent_projects(session, today):
        if (project.id, since, periods) in done:
            continue
        employer = session.get(Employer, project.employer_id)
        days = (today - since).days
        result = intake_one(
            session,
            actor,
            IntakeItem(
                category=WARNING_CATEGORY,
                title=f"欠薪预警：{project.name}"[:200],
                description=(
                    f"工程项目「{project.name}」（施工单位：{employer.name if employer else '—'}）的农民工工资专户"
                    f"自 {since.isoformat()} 起 {days} 天无工资支付记录，"
                    f"超过 {project.pay_period_days} 天的发放周期，请核查。"
                ),
                source=Source.department,
                unit_id=project.unit_id,
                address=project.address,
                lon=project.lon,
                lat=project.lat,
                attributes={"wage_project": project.id, "silent_days": days, "periods": periods},
                idempotency_key=f"wage-warning-{project.id}-{since.isoformat()}-{periods}",
                is_drill=project.is_demo,
            ),
        )
        assert result.event_id is not None
        session.add(
            WageWarning(
                project_id=project.id, since=since, periods=periods, event_id=result.event_id, created_at=clock.now()
            )
        )
        new_case(session, result.event_id, "warning", "system", employer, project, 0, 0)
        audit.record(session, actor, "wages.warning_raised", project, event_id=result.event_id, since=since.isoformat())
        raised += 1
    session.flush()
    return raised
