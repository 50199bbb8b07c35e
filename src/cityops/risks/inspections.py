"""Inspections: scheduled from a point's cycle with a deadline on the working calendar, recorded with the
category's checklist and photos, and swept: a missed one is marked overdue and escalated once to the
centre above the point's own centre."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events.calendar import CST, WorkCalendar, load_calendar
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit
from cityops.risks.models import Inspection, InspectionPhoto, RiskPoint

INSPECTORS = (Role.grid_worker, Role.handler, Role.dispatcher, Role.leader)
CENTRE_LEVELS = (OrgLevel.city, OrgLevel.district, OrgLevel.street)
DUE_LOCAL_TIME = (17, 30)  # an inspection is due by the end of the working day it falls on
MAX_PHOTO = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
SWEEPER = system_actor("system:risks")


class InspectionNotFound(NotFound):
    message = "巡查任务不存在 / Inspection not found."
    default_code = "risk.inspection_not_found"


def due_date(base: datetime, cycle_days: int, calendar: WorkCalendar) -> datetime:
    """`cycle_days` after `base`, at the end of that working day — or of the next one when the day is a
    weekend or holiday on the working calendar (make-up working days count as working days)."""
    day = (base.astimezone(CST) + timedelta(days=cycle_days)).date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    hour, minute = DUE_LOCAL_TIME
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST).astimezone(base.tzinfo)


def schedule_next(
    session: Session, point: RiskPoint, base: datetime, calendar: WorkCalendar | None = None
) -> Inspection | None:
    """The point's next routine inspection, unless one is already open."""
    open_one = session.scalar(
        select(Inspection.id).where(
            Inspection.point_id == point.id, Inspection.kind == "routine", Inspection.status == "scheduled"
        )
    )
    if open_one is not None or point.status != "active":
        return None
    row = Inspection(
        point_id=point.id,
        kind="routine",
        unit_id=point.unit_id,
        unit_path=point.unit_path,
        status="scheduled",
        due_at=due_date(base, point.cycle_days, calendar or load_calendar(session)),
        checklist=[],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def visible(actor: Actor) -> Any:
    from cityops.risks.service import visible_through_point

    return visible_through_point(Inspection.unit_path, Inspection.point_id, actor)


def access_inspection(session: Session, actor: Actor, inspection_id: int) -> Inspection:
    return one_or_raise(
        session,
        select(Inspection).where(Inspection.id == inspection_id, visible(actor)),
        InspectionNotFound(inspection_id=inspection_id),
    )


@dataclass
class Photo:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ResultInput:
    checks: list[tuple[bool, str]]  # one (ok, note) per checklist item, in order
    note: str = ""
    photos: tuple[Photo, ...] = ()


def record(session: Session, actor: Actor, row: Inspection, checklist: list[str], body: ResultInput) -> Inspection:
    """Record the result; every item ok is a pass. A routine inspection schedules the next one."""
    if not actor.has(*INSPECTORS):
        raise Forbidden("无权填报巡查 / You may not record inspections.", code="risk.not_inspector")
    if row.status != "scheduled":
        raise Conflict("该巡查已填报 / This inspection is already recorded.", code="risk.inspection_done")
    if len(body.checks) != len(checklist):
        raise Invalid(
            f"检查清单共 {len(checklist)} 项，须逐项填写 / the checklist has {len(checklist)} items",
            field="checks",
            code="risk.checklist_incomplete",
        )
    for i, (ok, note) in enumerate(body.checks):
        if not ok and not note.strip():
            raise Invalid(
                f"第 {i + 1} 项不合格须说明情况 / item {i + 1} failed: say what is wrong",
                field=f"checks.{i}",
                code="risk.failed_item_needs_note",
            )
    now = clock.now()
    for photo in body.photos:
        _add_photo(session, row, photo, now)
    row.checklist = [
        {"item": c, "ok": ok, "note": n.strip()[:300]} for c, (ok, n) in zip(checklist, body.checks, strict=True)
    ]
    row.result = "pass" if all(ok for ok, _ in body.checks) else "fail"
    row.status, row.done_at, row.done_by, row.note = "done", now, actor.username, body.note.strip()[:1000]
    audit.record(session, actor, "risk.inspected", row, point_id=row.point_id, kind=row.kind, result=row.result)
    point = session.get(RiskPoint, row.point_id)
    if row.kind == "routine" and point is not None:
        schedule_next(session, point, now)
    return row


def add_photo(session: Session, actor: Actor, row: Inspection, photo: Photo) -> InspectionPhoto:
    """A photo of the inspection, before or after its result is recorded."""
    if not actor.has(*INSPECTORS):
        raise Forbidden("无权上传巡查照片 / You may not add inspection photos.", code="risk.not_inspector")
    saved = _add_photo(session, row, photo, clock.now())
    session.flush()
    return saved


def _add_photo(session: Session, row: Inspection, photo: Photo, now: datetime) -> InspectionPhoto:
    if photo.content_type not in PHOTO_TYPES:
        raise Invalid(
            "照片须为 JPEG、PNG 或 WebP / photos must be JPEG, PNG or WebP", field="photos", code="risk.invalid_photos"
        )
    if not photo.data:
        raise Invalid("照片为空 / the photo is empty", field="photos", code="risk.invalid_photos")
    if len(photo.data) > MAX_PHOTO:
        raise Invalid("照片不超过 5MB / a photo must be at most 5 MB", field="photos", code="risk.invalid_photos")
    saved = InspectionPhoto(
        inspection_id=row.id,
        filename=photo.filename[:200] or "photo",
        content_type=photo.content_type,
        size=len(photo.data),
        sha256=hashlib.sha256(photo.data).hexdigest(),
        data=photo.data,
        created_at=now,
    )
    session.add(saved)
    return saved


def photos_of(session: Session, inspection_id: int) -> list[InspectionPhoto]:
    return list(session.scalars(select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id)))


def of_point(session: Session, point_id: int, limit: int = 50) -> list[Inspection]:
    stmt = select(Inspection).where(Inspection.point_id == point_id)
    return list(session.scalars(stmt.order_by(Inspection.due_at.desc(), Inspection.id.desc()).limit(limit)))


# -- deadlines -------------------------------------------------------------------------------------------
def centre_of(session: Session, unit_id: int) -> OrgUnit | None:
    """The governance centre responsible for a unit: the unit itself at street level or above, else the
    nearest street/district/city above it."""
    unit = session.get(OrgUnit, unit_id)
    while unit is not None and unit.level not in CENTRE_LEVELS:
        unit = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    return unit


def supervisor_of(session: Session, unit_id: int) -> OrgUnit | None:
    """The centre above the responsible one (the city supervises itself)."""
    centre = centre_of(session, unit_id)
    if centre is None:
        return None
    return org.centre_unit_above(session, centre.id) or centre


def sweep(session: Session, now: datetime, *, limit: int = 5000) -> int:
    """Mark scheduled inspections past their deadline overdue, each once, and tell the centre above."""
    from cityops.plans.notify import notify

    due = session.scalars(
        select(Inspection)
        .where(Inspection.status == "scheduled", Inspection.due_at <= now, Inspection.overdue.is_(False))
        .limit(limit)
    ).all()
    marked = 0
    for row in due:
        upper = supervisor_of(session, row.unit_id)
        won = session.execute(
            update(Inspection)
            .where(Inspection.id == row.id, Inspection.overdue.is_(False))
            .values(overdue=True, escalated_at=now, escalated_to_unit_id=upper.id if upper else None)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1 or upper is None:
            continue
        marked += 1
        point = session.get(RiskPoint, row.point_id)
        name = point.name if point else ""
        notify(
            session,
            unit_id=upper.id,
            roles=["dispatcher", "leader"],
            kind="risk_inspection_overdue",
            title=f"风险点巡查超期：{name}",
            body=f"应于 {row.due_at.astimezone(CST):%Y-%m-%d %H:%M}（北京时间）前完成；已报{upper.name}督办",
            subject=("risk_inspection", row.id),
            drill=bool(point.is_demo) if point else False,
        )
        audit.record(session, SWEEPER, "risk.inspection_overdue", row, escalated_to=upper.id)
        outbox.add(
            session, "risk.inspection_overdue", inspection_id=row.id, to_unit_id=upper.id, unit_path=row.unit_path
        )
    session.expire_all()
    return marked
