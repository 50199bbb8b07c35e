"""Wage-arrears cases: a complaint (citizen, 12345 hotline, grid worker) becomes an event of
`labour.wage_arrears` located at the project, so the duty list routes it to the 人力社保 of the project's
district; handling records the amount recovered and the date paid, and closing refuses without them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events import service as events
from cityops.events.calendar import CST
from cityops.events.catalogue import view as catalogue_view
from cityops.events.models import TERMINAL, Event, Source
from cityops.wages import service
from cityops.wages.defaults import COMPLAINT_CATEGORY, WARNING_CATEGORY
from cityops.wages.models import Employer, Project, WageCase

INT32 = 2**31 - 1  # WageCase.workers is an INTEGER column

CHANNELS = {"citizen": "市民投诉", "hotline": "12345热线", "grid_worker": "网格员上报", "system": "专户预警"}
CHANNEL_SOURCE = {"citizen": Source.citizen, "hotline": Source.citizen, "grid_worker": Source.grid_worker}
RECORDERS = (Role.handler, Role.dispatcher, Role.leader)


class CaseNotFound(NotFound):
    message = "欠薪案件不存在 / Wage case not found."
    default_code = "wages.case_not_found"


def visible(actor: Actor) -> Any:
    """A case is seen by whoever sees its event (location, centre, the handling department)."""
    return WageCase.event_id.in_(select(Event.id).where(events.visible(actor)))


def access_case(session: Session, actor: Actor, event_id: int) -> WageCase:
    return one_or_raise(
        session, select(WageCase).where(WageCase.event_id == event_id, visible(actor)), CaseNotFound(event_id=event_id)
    )


def cases_of(
    session: Session, actor: Actor, *, employer_id: int | None = None, project_id: int | None = None
) -> list[WageCase]:
    stmt = select(WageCase).where(visible(actor))
    if employer_id is not None:
        stmt = stmt.where(WageCase.employer_id == employer_id)
    if project_id is not None:
        stmt = stmt.where(WageCase.project_id == project_id)
    return list(session.scalars(stmt.order_by(WageCase.id.desc()).limit(500)))


@dataclass
class ComplaintInput:
    description: str
    workers: int
    amount_owed_yuan: float
    channel: str = "citizen"
    project_id: int | None = None
    credit_code: str | None = None  # the employer, when the project is not known
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    is_demo: bool = False


def _subject(session: Session, actor: Actor, item: ComplaintInput) -> tuple[Employer | None, Project | None]:
    project = service.access_project(session, actor, item.project_id) if item.project_id is not None else None
    if project is not None:
        employer = session.get(Employer, project.employer_id)
        if item.credit_code and employer is not None and employer.credit_code != item.credit_code.strip().upper():
            raise Invalid(
                "信用代码与项目的施工单位不一致 / the credit code is not the project's employer",
                field="credit_code",
                code="wages.employer_mismatch",
            )
        return employer, project
    if item.credit_code:
        return service.employer_by_code(session, actor, item.credit_code), None
    raise Invalid(
        "请指明工程项目或用人单位的统一社会信用代码 / name the project or the employer's credit code",
        field="project_id",
        code="wages.subject_required",
    )


def file_complaint(session: Session, actor: Actor, item: ComplaintInput) -> WageCase:
    """One complaint → one event (located at the project; routed by the duty list) and its case."""
    from cityops.events.intake import IntakeItem, intake_one

    if item.channel not in CHANNEL_SOURCE:
        raise Invalid(
            "来源渠道须为 citizen、hotline 或 grid_worker / unknown channel",
            field="channel",
            code="wages.invalid_channel",
        )
    if item.workers < 1:
        raise Invalid("涉及人数至少1人 / workers must be ≥ 1", field="workers", code="wages.invalid_workers")
    owed = service.to_fen(item.amount_owed_yuan, "amount_owed_yuan")
    if owed == 0:
        raise Invalid(
            "请填写拖欠金额 / amount_owed_yuan must be > 0", field="amount_owed_yuan", code="wages.invalid_amount"
        )
    employer, project = _subject(session, actor, item)
    where = _place(project, employer, item)
    name = project.name if project else (employer.name if employer else "")
    result = intake_one(
        session,
        actor,
        IntakeItem(
            category=COMPLAINT_CATEGORY,
            title=f"欠薪投诉：{name}"[:200],
            description=item.description,
            source=CHANNEL_SOURCE[item.channel],
            reporter_name=item.reporter_name,
            reporter_phone=item.reporter_phone,
            attributes={
                "amount_yuan": owed / 100,
                "workers": item.workers,
                "wage_channel": item.channel,
                "credit_code": employer.credit_code if employer else None,
                "wage_project": project.id if project else None,
            },
            attachments=item.attachments,
            is_drill=item.is_demo,
            **where,
        ),
    )
    assert result.event_id is not None
    case = session.scalar(select(WageCase).where(WageCase.event_id == result.event_id))
    if case is None:
        case = new_case(session, result.event_id, "complaint", item.channel, employer, project, item.workers, owed)
    audit.record(session, actor, "wages.complaint_filed", case, event_id=result.event_id, owed_fen=owed)
    return case


def _place(project: Project | None, employer: Employer | None, item: ComplaintInput) -> dict[str, Any]:
    """The project's site decides the district (and so the 人力社保 that handles it); an employer-only
    complaint is placed by the given address or point, else at the employer's registered unit."""
    if project is not None:
        return {"unit_id": project.unit_id, "address": project.address, "lon": project.lon, "lat": project.lat}
    if item.lon is not None or item.address.strip():
        return {"address": item.address, "lon": item.lon, "lat": item.lat}
    assert employer is not None
    return {"unit_id": employer.unit_id}


def new_case(
    session: Session,
    event_id: int,
    kind: str,
    channel: str,
    employer: Employer | None,
    project: Project | None,
    workers: int,
    owed_fen: int,
) -> WageCase:
    event = session.get(Event, event_id)
    assert event is not None
    case = WageCase(
        event_id=event_id,
        kind=kind,
        channel=channel,
        employer_id=employer.id if employer else None,
        project_id=project.id if project else None,
        unit_path=event.unit_path,
        workers=workers,
        owed_fen=owed_fen,
        created_at=clock.now(),
    )
    session.add(case)
    session.flush()
    return case


def on_event_received(session: Session, payload: dict[str, Any]) -> None:
    """A wage-arrears event from any channel (the citizen form, Open311, an import) gets its case; the
    employer is linked when the report carried a known credit code. Idempotent.

    A case is the follow-up of an open complaint: a report already closed when it arrives here (imported
    history such as the AI's training corpus, a grid worker's on-the-spot settlement) gets none, since a
    closed case without the amount recovered would count in the wage figures as a recovery nobody made."""
    event_id = payload.get("event_id")
    if not isinstance(event_id, int) or session.scalar(select(WageCase.id).where(WageCase.event_id == event_id)):
        return
    event = session.get(Event, event_id)
    if event is None or event.status in TERMINAL:
        return
    cat = catalogue_view(session).by_id.get(event.category_id)
    if cat is None or cat.code != COMPLAINT_CATEGORY:
        return
    attrs = event.attributes if isinstance(event.attributes, dict) else {}
    code = str(attrs.get("credit_code") or "").strip().upper()
    employer = session.scalar(select(Employer).where(Employer.credit_code == code)) if code else None
    # Intake bounds these fields (the catalogue's min/max); a category edited without bounds still never
    # makes a case the columns cannot hold, which would fail this subscriber on every retry.
    workers = min(max(_int(attrs.get("workers")), 0), INT32)
    owed = round(float(attrs.get("amount_yuan") or 0) * 100) if _number(attrs.get("amount_yuan")) else 0
    owed = min(max(owed, 0), service.MAX_FEN)
    channel = "grid_worker" if event.source == Source.grid_worker else "citizen"
    new_case(session, event_id, "complaint", channel, employer, None, workers, owed)


def _number(value: Any) -> bool:
    try:
        return math.isfinite(float(str(value)))  # "nan" and "inf" read as floats but count nothing
    except ValueError:
        return False


def _int(value: Any) -> int:
    return int(float(str(value))) if _number(value) else 0


# -- handling -------------------------------------------------------------------------------------------
def record_recovery(
    session: Session,
    actor: Actor,
    case: WageCase,
    *,
    recovered_yuan: float,
    paid_on: date,
    workers_paid: int | None = None,
    note: str = "",
) -> WageCase:
    """讨回金额 and 支付日期, written on the case and the event's timeline; needed before closing."""
    if not actor.has(*RECORDERS):
        raise Forbidden("只有承办人员可登记追回情况 / only case staff record the recovery", code="wages.not_recorder")
    event = session.get(Event, case.event_id)
    assert event is not None
    if event.status in TERMINAL:
        raise Conflict("案件已办结 / the case is closed", code="wages.case_closed")
    if paid_on > clock.now().astimezone(CST).date():
        raise Invalid("支付日期不能晚于今天 / paid_on is in the future", field="paid_on", code="wages.invalid_date")
    fen = service.to_fen(recovered_yuan, "amount_recovered_yuan")
    if workers_paid is not None and (workers_paid < 0 or (case.workers and workers_paid > case.workers)):
        raise Invalid(
            "受助人数不能超过涉及人数 / workers_paid exceeds the workers named",
            field="workers_paid",
            code="wages.invalid_workers",
        )
    case.recovered_fen, case.paid_on = fen, paid_on
    case.workers_paid = workers_paid if workers_paid is not None else case.workers
    case.recovery_note, case.recorded_by = note.strip()[:1000], actor.username
    text = f"登记追回工资 {fen / 100:,.2f} 元，支付日期 {paid_on.isoformat()}，{case.workers_paid} 人"
    events.note(
        session,
        actor,
        case.event_id,
        "wage_recovery",
        text + (f"：{note.strip()}" if note.strip() else ""),
        data={"recovered_fen": fen, "paid_on": paid_on.isoformat(), "workers_paid": case.workers_paid},
        public=True,
    )
    audit.record(session, actor, "wages.recovery_recorded", case, recovered_fen=fen, paid_on=paid_on.isoformat())
    session.flush()
    return case


def guard_close(session: Session, actor: Actor, event: Any, body: Any) -> None:
    """The closed loop's own rule for wage cases: no 办结 without the amount recovered and the date paid."""
    case = session.scalar(select(WageCase).where(WageCase.event_id == event.id))
    if case is None or case.kind != "complaint":
        return
    if case.recovered_fen is None or case.paid_on is None:
        raise Invalid(
            "欠薪案件办结前须登记追回金额和支付日期 / record the amount recovered and the date paid before closing",
            field="amount_recovered_yuan",
            code="wages.recovery_required",
        )


def category_codes() -> tuple[str, str]:
    return COMPLAINT_CATEGORY, WARNING_CATEGORY
