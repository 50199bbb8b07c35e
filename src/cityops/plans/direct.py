"""突发事件直报快响: one report tells the street, district and city centres at the same moment; each
acknowledges; a centre silent for `ack_minutes` is told again and the level above is alerted. The
report also opens an urgent event (source emergency) and starts the plans it matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.errors import Conflict, Forbidden, NotFound, one_or_raise
from cityops.core.hooks import hooks_of
from cityops.events import service as events
from cityops.events.intake import IntakeItem, intake_one
from cityops.events.models import Event, Severity, Source
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.plans import activation
from cityops.plans.models import DirectReport, PlanRun, ReportLog, ReportNotice
from cityops.plans.notify import notify

REPORTERS = (Role.grid_worker, Role.handler, Role.dispatcher, Role.leader)
ACKNOWLEDGERS = (Role.dispatcher, Role.leader)
LEVELS = ("street", "district", "city")
LEVEL_NAMES = {"street": "镇街", "district": "区县", "city": "市级"}
UPPER = {"street": "district", "district": "city"}


class ReportNotFound(NotFound):
    message = "直报不存在 / Direct report not found."
    default_code = "direct_report.not_found"


@dataclass
class ReportIn:
    category: str
    title: str
    description: str
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    unit_code: str | None = None
    idempotency_key: str | None = None
    drill: bool = False

    def __post_init__(self) -> None:
        self.idempotency_key = (self.idempotency_key or "").strip() or None  # a blank key is no key


def file_report(session: Session, actor: Actor, data: ReportIn) -> tuple[DirectReport, bool]:
    """File a report; returns (report, created). A repeated idempotency key returns the first report.
    Phases: the event through intake (urgent, source emergency), the report row, every centre told at once,
    the event's timeline and the plans its category starts."""
    if not actor.has(*REPORTERS):
        raise Forbidden(
            "网格员和工作人员可直报 / Grid workers and staff file direct reports.",
            needs=[r.value for r in REPORTERS],
            code="direct_report.role_required",
        )
    if data.idempotency_key:
        existing = session.scalars(
            select(DirectReport).where(DirectReport.idempotency_key == data.idempotency_key)
        ).one_or_none()
        if existing is not None:
            return existing, False
    event = _open_event(session, actor, data)
    report = _report_row(session, actor, data, event)
    told = _tell_every_level(session, report, event.unit_path)
    audit.record(session, actor, "direct_report.filed", report, ref=report.ref, event_id=event.id, drill=data.drill)
    events.note(
        session,
        actor,
        event.id,
        "direct_report",
        f"突发事件直报 {report.ref}：已同时通知 {'、'.join(told)} / all centres notified at once",
        data={"report_id": report.id},
    )
    activation.activate_for_event(session, actor, event, trigger="direct_report")
    return report, True


def _open_event(session: Session, actor: Actor, data: ReportIn) -> Event:
    unit_code = data.unit_code
    if unit_code is None and not data.address and data.lon is None and actor.unit_id is not None:
        own = session.get(OrgUnit, actor.unit_id)
        unit_code = own.code if own is not None else None  # where the grid worker stands: their own grid
    result = intake_one(
        session,
        actor,
        IntakeItem(
            category=data.category,
            description=data.description,
            title=data.title,
            source=Source.emergency,
            severity=Severity.urgent,
            address=data.address,
            lon=data.lon,
            lat=data.lat,
            unit_code=unit_code,
            reporter_user_id=actor.user_id,
            reporter_name=actor.username,
            idempotency_key=f"direct:{data.idempotency_key}" if data.idempotency_key else None,
            is_drill=data.drill,
        ),
    )
    event = session.get(Event, result.event_id)
    assert event is not None
    return event


def _report_row(session: Session, actor: Actor, data: ReportIn, event: Event) -> DirectReport:
    now = clock.now()
    report = DirectReport(
        ref="",
        idempotency_key=data.idempotency_key,
        title=data.title,
        description=data.description,
        category_code=data.category,
        address=data.address,
        lon=data.lon,
        lat=data.lat,
        unit_id=event.unit_id,
        unit_path=event.unit_path,
        reporter_user_id=actor.user_id,
        reporter=actor.username,
        event_id=event.id,
        is_drill=data.drill,
        created_at=now,
    )
    session.add(report)
    session.flush()
    report.ref = f"ZB{now:%Y%m%d}{report.id:05d}"
    return report


def _tell_every_level(session: Session, report: DirectReport, unit_path: str) -> list[str]:
    """Street, district and city centres above the place, all at the same moment; their names, in order."""
    now = report.created_at
    levels = org.centre_units_on(session, unit_path)
    told = []
    for level in LEVELS:
        unit = levels.get(level)
        if unit is None:
            continue
        session.add(
            ReportNotice(
                report_id=report.id,
                level=level,
                unit_id=unit.id,
                first_notified_at=now,
                last_notified_at=now,
                notify_count=1,
            )
        )
        _log(session, report, level, "notified", now, note=unit.name)
        _tell(session, report, unit, kind="direct_report", title=f"突发事件直报：{report.title}")
        told.append(f"{LEVEL_NAMES[level]}（{unit.name}）")
    return told


def _tell(session: Session, report: DirectReport, unit: OrgUnit, *, kind: str, title: str) -> None:
    body = f"{report.ref} {report.title}：{report.description[:200]}（{report.address or unit.name}）请立即确认"
    notify(
        session,
        unit_id=unit.id,
        roles=list(ACKNOWLEDGERS),
        kind=kind,
        title=title,
        body=body,
        subject=("direct_report", report.id),
        drill=report.is_drill,
        sms=True,
    )


def _log(
    session: Session, report: DirectReport, level: str, action: str, at: datetime, *, by: str = "system", note: str = ""
) -> None:
    session.add(ReportLog(report_id=report.id, level=level, action=action, at=at, by=by, note=note[:300]))


def visible(actor: Actor) -> Any:
    clauses = [org.in_subtree(DirectReport.unit_path, actor.unit_path)]
    if actor.user_id is not None:
        clauses.append(DirectReport.reporter_user_id == actor.user_id)
    return or_(*clauses)


def access(session: Session, actor: Actor, report_id: int) -> DirectReport:
    return one_or_raise(
        session,
        select(DirectReport).where(DirectReport.id == report_id, visible(actor)),
        ReportNotFound(report_id=report_id),
    )


def acknowledge(session: Session, actor: Actor, report: DirectReport) -> ReportNotice:
    """The actor's centre acknowledges (the notice addressed to the actor's own unit)."""
    notice = session.scalars(
        select(ReportNotice).where(ReportNotice.report_id == report.id, ReportNotice.unit_id == actor.unit_id)
    ).one_or_none()
    if notice is None or not actor.has(*ACKNOWLEDGERS) or actor.department_id is not None:
        raise Forbidden(
            "只有被通知中心的值班员或领导可确认 / Only the notified centre's duty staff acknowledge.",
            code="direct_report.not_your_centre",
        )
    if notice.acked_at is not None:
        raise Conflict(
            f"已于 {notice.acked_at.isoformat()} 确认 / already acknowledged",
            acked_by=notice.acked_by,
            code="direct_report.already_acknowledged",
        )
    now = clock.now()
    notice.acked_at, notice.acked_by = now, actor.username
    _log(session, report, notice.level, "acknowledged", now, by=actor.username)
    audit.record(session, actor, "direct_report.acknowledged", report, level=notice.level)
    if report.event_id is not None:
        minutes = (now - notice.first_notified_at).total_seconds() / 60
        events.note(
            session,
            actor,
            report.event_id,
            "direct_report",
            f"{LEVEL_NAMES[notice.level]}中心已确认（通知后 {minutes:.1f} 分钟）/ {notice.level} acknowledged",
            data={"report_id": report.id, "level": notice.level},
        )
    return notice


def sweep(session: Session, now: datetime, *, minutes: int | None = None) -> int:
    """Tell again every centre that has not acknowledged within the window, and alert the level above
    (once per centre); the city's own silence goes to the city's leaders."""
    window = timedelta(minutes=minutes if minutes is not None else hooks_of(session).settings.ack_minutes)
    pending = session.execute(
        select(ReportNotice, DirectReport)
        .join(DirectReport, DirectReport.id == ReportNotice.report_id)
        .where(ReportNotice.acked_at.is_(None), ReportNotice.last_notified_at <= now - window)
        .limit(2000)
    ).all()
    system = system_actor("system:plans")
    told = 0
    for notice, report in pending:
        won = session.execute(
            update(ReportNotice)
            .where(ReportNotice.id == notice.id, ReportNotice.last_notified_at == notice.last_notified_at)
            .values(last_notified_at=now, notify_count=ReportNotice.notify_count + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            continue  # another worker got it
        told += 1
        unit = session.get(OrgUnit, notice.unit_id)
        assert unit is not None
        _log(session, report, notice.level, "renotified", now, note=f"第 {notice.notify_count + 1} 次通知")
        _tell(session, report, unit, kind="direct_report_reminder", title=f"【催确认】突发事件直报：{report.title}")
        lines = [f"{LEVEL_NAMES[notice.level]}中心未在 {window.seconds // 60} 分钟内确认，已再次通知"]
        if notice.upper_told_at is None:
            session.execute(update(ReportNotice).where(ReportNotice.id == notice.id).values(upper_told_at=now))
            upper = _upper_unit(session, report, notice)
            _log(session, report, notice.level, "upper_told", now, note=upper.name)
            notify(
                session,
                unit_id=upper.id,
                roles=["leader"] if notice.level == "city" else list(ACKNOWLEDGERS),
                kind="direct_report_unacked",
                title=f"{unit.name}未确认突发事件直报：{report.title}",
                body=f"{report.ref}：{unit.name}已 {window.seconds // 60} 分钟未确认，请督促",
                subject=("direct_report", report.id),
                drill=report.is_drill,
                sms=True,
            )
            lines.append(f"并报告 {upper.name}")
        if report.event_id is not None:
            events.note(
                session,
                system,
                report.event_id,
                "direct_report",
                "，".join(lines) + " / reminder sent",
                data={"report_id": report.id, "level": notice.level},
            )
    return told


def _upper_unit(session: Session, report: DirectReport, notice: ReportNotice) -> OrgUnit:
    upper_level = UPPER.get(notice.level)
    if upper_level is not None:
        upper_notice = session.scalars(
            select(ReportNotice).where(ReportNotice.report_id == report.id, ReportNotice.level == upper_level)
        ).one_or_none()
        if upper_notice is not None:
            unit = session.get(OrgUnit, upper_notice.unit_id)
            if unit is not None:
                return unit
    city = org.city(session)
    assert city is not None
    return city


def timeline(session: Session, report: DirectReport) -> dict[str, Any]:
    notices = list(session.scalars(select(ReportNotice).where(ReportNotice.report_id == report.id)))
    logs = list(session.scalars(select(ReportLog).where(ReportLog.report_id == report.id).order_by(ReportLog.id)))
    units = {u.id: u.name for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_([n.unit_id for n in notices])))}
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    levels = []
    for n in sorted(notices, key=lambda n: order[n.level]):
        mine = [entry for entry in logs if entry.level == n.level]
        levels.append(
            {
                "level": n.level,
                "unit_id": n.unit_id,
                "unit": units.get(n.unit_id, ""),
                "told_at": [e.at.isoformat() for e in mine if e.action in ("notified", "renotified")],
                "acknowledged_at": n.acked_at.isoformat() if n.acked_at else None,
                "acknowledged_by": n.acked_by,
                "upper_told_at": n.upper_told_at.isoformat() if n.upper_told_at else None,
            }
        )
    plan_runs = (
        session.execute(
            select(PlanRun.id, PlanRun.name, PlanRun.status).where(PlanRun.event_id == report.event_id)
        ).all()
        if report.event_id
        else []
    )
    return {
        "id": report.id,
        "ref": report.ref,
        "title": report.title,
        "description": report.description,
        "category": report.category_code,
        "address": report.address,
        "unit_id": report.unit_id,
        "reporter": report.reporter,
        "event_id": report.event_id,
        "drill": report.is_drill,
        "created_at": report.created_at.isoformat(),
        "levels": levels,
        "log": [
            {"level": e.level, "action": e.action, "at": e.at.isoformat(), "by": e.by, "note": e.note} for e in logs
        ],
        "plan_runs": [{"id": i, "name": name, "status": s} for i, name, s in plan_runs],
    }


def unacknowledged(session: Session, actor: Actor, *, limit: int = 100) -> list[tuple[ReportNotice, DirectReport]]:
    """Direct reports told to the actor's own centre and not yet acknowledged there, oldest first (empty for
    anyone who may not acknowledge: department staff, grid workers, citizens)."""
    if not actor.has(*ACKNOWLEDGERS) or actor.department_id is not None or actor.unit_id is None:
        return []
    rows = session.execute(
        select(ReportNotice, DirectReport)
        .join(DirectReport, DirectReport.id == ReportNotice.report_id)
        .where(ReportNotice.unit_id == actor.unit_id, ReportNotice.acked_at.is_(None), visible(actor))
        .order_by(ReportNotice.first_notified_at)
        .limit(limit)
    ).all()
    return [(n, r) for n, r in rows]
