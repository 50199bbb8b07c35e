"""Problems a grid worker reports from the field: through the events intake (source `patrol` during a
patrol, `grid_worker` otherwise) with photos and position, and 就地解决 — a small problem fixed on the
spot, recorded as found and closed in one step with before and after photos, counted separately."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, files
from cityops.core.actor import Actor
from cityops.core.db import AnySelect
from cityops.core.errors import Invalid
from cityops.events import bulk, intake
from cityops.events.models import Event, Source
from cityops.grid import patrols
from cityops.grid.models import GridReport
from cityops.org.models import OrgUnit

MAX_PHOTOS = 6


@dataclass
class ReportInput:
    category: str
    description: str
    grid_id: int | None = None  # the grid it happened in; defaults to the running patrol's grid
    title: str = ""
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    photo_ids: list[int] = field(default_factory=list)  # "before" photos when fixed on the spot
    after_photo_ids: list[int] = field(default_factory=list)
    on_spot: bool = False
    note: str = ""  # what was done on the spot
    idempotency_key: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # the category's own fields (事项要素)


def _grid_for(session: Session, actor: Actor, data: ReportInput) -> tuple[OrgUnit, int | None]:
    running = patrols.open_session_of(session, actor)
    grid_id = data.grid_id or (running.grid_unit_id if running else None)
    if grid_id is None:
        raise Invalid(
            "请选择网格 / grid_id is required when no patrol is running", field="grid_id", code="grid.invalid_grid_id"
        )
    grid = session.get(OrgUnit, grid_id)
    if grid is None:
        raise Invalid("网格不存在 / unknown grid", field="grid_id", code="grid.invalid_grid_id")
    patrols.require_assigned(session, actor, grid.id)
    return grid, (running.id if running and running.grid_unit_id == grid.id else None)


def report(session: Session, actor: Actor, data: ReportInput) -> tuple[GridReport, Event]:
    """File the problem; with `on_spot`, close it at once (needs before and after photos and a note)."""
    grid, session_id = _grid_for(session, actor, data)
    if len(data.photo_ids) + len(data.after_photo_ids) > MAX_PHOTOS:
        raise Invalid(
            f"照片不超过{MAX_PHOTOS}张 / at most {MAX_PHOTOS} photos", field="photo_ids", code="grid.invalid_photo_ids"
        )
    before = files.own_files(session, actor, data.photo_ids)
    after = files.own_files(session, actor, data.after_photo_ids)
    if data.on_spot:
        if not before or not after:
            raise Invalid(
                "就地解决须上传处置前、处置后照片 / an on-the-spot fix needs a before and an after photo",
                code="grid.on_spot_photos",
                field="after_photo_ids" if before else "photo_ids",
            )
        if not data.note.strip():
            raise Invalid("请写明如何就地解决 / say what was done on the spot", field="note", code="grid.invalid_note")
    lon, lat = data.lon, data.lat
    if lon is None and lat is None:  # the photo's EXIF position stands in for a phone without location
        with_gps = next((f for f in before if f.gps_lon is not None), None)
        if with_gps is not None:
            lon, lat = with_gps.gps_lon, with_gps.gps_lat
    described = [files.describe(f, "before" if data.on_spot else "photo") for f in before]
    described += [files.describe(f, "after") for f in after]
    result = intake.intake_one(
        session,
        actor,
        intake.IntakeItem(
            category=data.category,
            description=data.description,
            title=data.title,
            source=Source.patrol if session_id else Source.grid_worker,
            lon=lon,
            lat=lat,
            address=data.address,
            unit_code=grid.code,
            reporter_user_id=actor.user_id,
            reporter_name=actor.username,
            attributes={**data.attributes, "on_spot": True} if data.on_spot else dict(data.attributes),
            attachments=described,
            idempotency_key=data.idempotency_key,
        ),
        triage=False,
    )
    event = session.get(Event, result.event_id)
    assert event is not None
    existing = session.scalars(select(GridReport).where(GridReport.event_id == event.id)).one_or_none()
    if existing is not None:  # a retried submission: the first one stands
        return existing, event
    for f in before:
        files.attach(
            session, f, "event", event.id, role="before" if data.on_spot else "photo", unit_path=event.unit_path
        )
    for f in after:
        files.attach(session, f, "event", event.id, role="after", unit_path=event.unit_path)
    now = clock.now()
    row = GridReport(
        event_id=event.id,
        user_id=actor.user_id,
        grid_unit_id=grid.id,
        unit_path=grid.path,
        session_id=session_id,
        on_spot=data.on_spot,
        reported_at=now,
    )
    session.add(row)
    if data.on_spot:
        note = f"就地解决 / fixed on the spot by {actor.username}: {data.note.strip()[:300]}"
        bulk.close_many(session, actor, [bulk.Closure(event.id, now)], note=note)
        session.refresh(event)
    session.flush()
    audit.record(session, actor, "grid.reported", row, event_id=event.id, on_spot=data.on_spot, session_id=session_id)
    return row, event


def my_reports(session: Session, actor: Actor) -> AnySelect:
    """The acting grid worker's reports with their events, newest first."""
    stmt = select(GridReport, Event).join(Event, Event.id == GridReport.event_id)
    return stmt.where(GridReport.user_id == actor.user_id).order_by(GridReport.reported_at.desc(), GridReport.id.desc())


def of_event(session: Session, event_id: int) -> GridReport | None:
    return session.scalars(select(GridReport).where(GridReport.event_id == event_id)).one_or_none()


def photos_of(event: Event) -> list[dict[str, Any]]:
    """The event's photos with thumbnails (the event is already visible to the caller)."""
    return [a for a in (event.attachments or []) if isinstance(a, dict) and a.get("thumb_url")]
