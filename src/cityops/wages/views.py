"""Read models of 根治欠薪 shared by the API and the pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.events.models import Event
from cityops.wages.models import Payment, Project, WageCase
from cityops.wages.schemas import CaseRead, PaymentRead, ProjectRead
from cityops.wages.service import last_paid, yuan


def read_cases(session: Session, cases: list[WageCase]) -> list[CaseRead]:
    ids = [c.event_id for c in cases]
    events = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(ids)))} if ids else {}
    out = []
    for c in cases:
        ev = events.get(c.event_id)
        out.append(
            CaseRead(
                id=c.id,
                event_id=c.event_id,
                event_ref=ev.ref if ev else "",
                event_status=ev.status if ev else "",
                kind=c.kind,
                channel=c.channel,
                employer_id=c.employer_id,
                project_id=c.project_id,
                workers=c.workers,
                amount_owed_yuan=c.owed_fen / 100,
                amount_recovered_yuan=yuan(c.recovered_fen),
                paid_on=c.paid_on,
                workers_paid=c.workers_paid,
            )
        )
    return out


def read_project(session: Session, project: Project) -> ProjectRead:
    r = ProjectRead.model_validate(project)
    r.last_paid_on = last_paid(session, project.id)
    return r


def read_payment(p: Payment) -> PaymentRead:
    return PaymentRead(
        id=p.id,
        project_id=p.project_id,
        paid_on=p.paid_on,
        amount_yuan=p.amount_fen / 100,
        workers=p.workers,
        wage_month=p.wage_month,
    )
