"""Open311 GeoReport v2 on top of the catalogue and events: keys, services, requests and updates."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.errors import CityOpsError, Forbidden, Invalid, NotFound, one_or_raise
from cityops.core.pii import mask_text
from cityops.events import catalogue
from cityops.events.catalogue import CategoryView
from cityops.events.intake import IntakeItem, intake_one
from cityops.events.models import Category, Event, EventLog, Source, Status
from cityops.events.open311.models import Open311Key
from cityops.org.models import Department, OrgUnit

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
CLOSED = (Status.closed, Status.merged, Status.voided)
# Internal states as mySociety's extended statuses (servicerequestupdates).
EXTENDED_STATUS = {
    "reported": "open",
    "accepted": "open",
    "dispatched": "action_scheduled",
    "signed": "action_scheduled",
    "in_progress": "in_progress",
    "reported_back": "in_progress",
    "verified": "fixed",
    "suspended": "planned",
    "closed": "closed",
    "merged": "duplicate",
    "voided": "no_further_action",
}


class Open311Error(CityOpsError):
    """Errors rendered as a GeoReport error array with the spec's status (400 unless 403/404)."""

    status_code = 400


class ServiceNotFound(Open311Error):
    status_code = 404
    message = "service_code not found"


class RequestNotFound(Open311Error):
    status_code = 404
    message = "service_request_id not found"


class JurisdictionNotFound(Open311Error):
    status_code = 404
    message = "jurisdiction_id not found"


class BadApiKey(Open311Error):
    status_code = 403
    message = "Invalid api_key"


# -- keys ----------------------------------------------------------------------------------------------
def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, actor: Actor, *, name: str, per_minute: int = 120) -> tuple[Open311Key, str]:
    if not actor.has(Role.sysadmin, Role.app_admin):
        raise Forbidden("仅管理员可发放API密钥 / Only admins issue API keys.", code="open311.admin_required")
    plain = "o311_" + secrets.token_urlsafe(24)
    row = Open311Key(
        name=name,
        key_hash=_digest(plain),
        prefix=plain[:8],
        active=True,
        per_minute=per_minute,
        created_at=clock.now(),
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "open311.key_created", row, name=name), plain


def revoke_key(session: Session, actor: Actor, key_id: int) -> Open311Key:
    if not actor.has(Role.sysadmin, Role.app_admin):
        raise Forbidden("仅管理员可吊销API密钥 / Only admins revoke API keys.", code="open311.admin_required")
    row = session.get(Open311Key, key_id)
    if row is None:
        raise NotFound("密钥不存在 / No such key.", key_id=key_id, code="open311.key_not_found")
    row.active = False
    audit.record(session, actor, "open311.key_revoked", row)
    return row


def key_for(session: Session, plain: str | None) -> Open311Key:
    if not plain:
        raise BadApiKey("api_key is required")
    row = session.scalars(select(Open311Key).where(Open311Key.key_hash == _digest(plain))).one_or_none()
    if row is None or not row.active:
        raise BadApiKey()
    return row


def actor_for_key(key: Open311Key) -> Actor:
    return Actor(user_id=None, username=f"open311:{key.name}"[:80], roles=frozenset({Role.citizen}))


# -- services ------------------------------------------------------------------------------------------
def services(session: Session) -> list[dict[str, Any]]:
    view = catalogue.view(session)
    families = dict(session.execute(select(Category.code, Category.name).where(Category.parent_id.is_(None))).all())
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"{c.family} · {c.name}",
            "metadata": bool(c.required_fields),
            "type": "realtime",
            "keywords": ",".join(c.keywords),
            "group": families.get(c.family_code, c.family),
        }
        for c in sorted(view.by_code.values(), key=lambda c: c.code)
    ]


def service_definition(session: Session, code: str) -> dict[str, Any]:
    cat = catalogue.view(session).by_code.get(code)
    if cat is None:
        raise ServiceNotFound(f"service_code {code!r} not found")
    datatypes = {"number": "number", "string": "string", "text": "text", "datetime": "datetime"}
    return {
        "service_code": cat.code,
        "attributes": [
            {
                "variable": True,
                "code": f["code"],
                "datatype": datatypes.get(f.get("type", "string"), "string"),
                "required": True,
                "datatype_description": f.get("type", "string"),
                "order": i,
                "description": f["name"],
            }
            for i, f in enumerate(cat.required_fields, start=1)
        ],
    }


# -- requests ------------------------------------------------------------------------------------------
def _float(value: str | None, name: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(f"{name} must be a number") from None


def post_request(session: Session, key: Open311Key, form: dict[str, Any]) -> dict[str, Any]:
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error("service_code is required")
    cat: CategoryView | None = catalogue.view(session).by_code.get(code)
    if cat is None:
        raise ServiceNotFound(f"service_code {code!r} not found")
    lat, lon = _float(form.get("lat"), "lat"), _float(form.get("long"), "long")
    address = (form.get("address_string") or "").strip()
    if (lat is None or lon is None) and not address:
        raise Open311Error("a location is required: lat and long, or address_string")
    description = (form.get("description") or "").strip()
    if len(description) > 4000:
        raise Open311Error("description exceeds 4,000 characters")
    name = " ".join(p for p in (form.get("last_name"), form.get("first_name")) if p).strip()
    item = IntakeItem(
        category=code,
        description=description or cat.name,
        source=Source.open311,
        address=address,
        lon=lon if lat is not None else None,
        lat=lat if lon is not None else None,
        reporter_name=name[:40],
        reporter_phone=(form.get("phone") or "").strip(),
        attributes=form.get("attributes", {}),
        attachments=[{"url": form["media_url"]}] if form.get("media_url") else [],
    )
    try:
        result = intake_one(session, actor_for_key(key), item)
    except Invalid as exc:
        raise Open311Error(f"{exc.data.get('field', 'request')}: {exc.detail}") from None
    event = session.get(Event, result.event_id)
    assert event is not None
    return {"service_request_id": event.ref, "service_notice": _notice(event)}


def _notice(event: Event) -> str:
    return f"已受理，承办时限 {event.due_at:%Y-%m-%d %H:%M} UTC" if event.due_at else "已受理"


def _parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(f"{name} must be a W3C datetime such as 2026-01-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise Open311Error(f"{name} needs a time zone (Z or ±HH:MM)")
    return parsed


def find_requests(
    session: Session, *, ids: str = "", codes: str = "", start: str = "", end: str = "", status: str = ""
) -> list[Event]:
    stmt = select(Event).where(Event.is_drill.is_(False))
    if ids.strip():  # overrides every other argument
        refs = [r.strip() for r in ids.split(",") if r.strip()][:MAX_REQUESTS]
        return list(session.scalars(stmt.where(Event.ref.in_(refs)).order_by(Event.id)))
    end_at = _parse_date(end, "end_date") or clock.now()
    start_at = _parse_date(start, "start_date") or (end_at - MAX_SPAN)
    if end_at - start_at > MAX_SPAN:
        raise Open311Error("start_date and end_date may not span more than 90 days")
    stmt = stmt.where(Event.received_at >= start_at, Event.received_at <= end_at)
    if codes.strip():
        wanted = [c.strip() for c in codes.split(",") if c.strip()]
        stmt = stmt.where(Event.category_id.in_(select(Category.id).where(Category.code.in_(wanted))))
    statuses = {s.strip() for s in status.split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error("status must be open and/or closed")
    if statuses == {"open"}:
        stmt = stmt.where(Event.status.not_in([s.value for s in CLOSED]))
    elif statuses == {"closed"}:
        stmt = stmt.where(Event.status.in_([s.value for s in CLOSED]))
    return list(session.scalars(stmt.order_by(Event.received_at.desc()).limit(MAX_REQUESTS)))


def get_request(session: Session, ref: str) -> Event:
    return one_or_raise(
        session,
        select(Event).where(Event.ref == ref, Event.is_drill.is_(False)),
        RequestNotFound(f"service_request_id {ref!r} not found"),
    )


def describe_requests(session: Session, events: list[Event]) -> list[dict[str, Any]]:
    if not events:
        return []
    view = catalogue.view(session).by_id
    ids = [e.id for e in events]
    owners = dict(
        session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_({e.owner_unit_id for e in events}))).all()
    )
    depts = dict(
        session.execute(
            select(Department.id, Department.name).where(
                Department.id.in_({e.owner_department_id for e in events if e.owner_department_id})
            )
        ).all()
    )
    last = session.execute(
        select(EventLog.event_id, func.max(EventLog.at)).where(EventLog.event_id.in_(ids)).group_by(EventLog.event_id)
    ).all()
    updated = dict(last)
    notes: dict[int, str] = {}
    for event_id, note in session.execute(
        select(EventLog.event_id, EventLog.note)
        .where(EventLog.event_id.in_(ids), EventLog.public.is_(True), EventLog.note != "")
        .order_by(EventLog.at, EventLog.id)
    ):
        notes[event_id] = note
    out = []
    for e in events:
        cat = view.get(e.category_id)
        closed = e.status in CLOSED
        out.append(
            {
                "service_request_id": e.ref,
                "status": "closed" if closed else "open",
                "status_notes": notes.get(e.id, "")[:400],
                "service_name": cat.name if cat else "",
                "service_code": cat.code if cat else "",
                "description": mask_text(e.description),
                "agency_responsible": depts.get(e.owner_department_id or 0)
                or f"{owners.get(e.owner_unit_id, '')}治理中心",
                "service_notice": _notice(e),
                "requested_datetime": _w3c(e.received_at),
                "updated_datetime": _w3c(e.closed_at if closed and e.closed_at else updated.get(e.id, e.received_at)),
                "expected_datetime": _w3c(e.due_at),
                "address": e.address,
                "address_id": "",
                "zipcode": "",
                "lat": e.lat if e.lat is not None else "",
                "long": e.lon if e.lon is not None else "",
                "media_url": (e.attachments[0].get("url", "") if e.attachments else ""),
            }
        )
    return out


def _w3c(value: datetime | None) -> str:
    from cityops.events.open311.render import w3c

    return w3c(value)


def request_updates(session: Session, *, start: str = "", end: str = "") -> list[dict[str, Any]]:
    end_at = _parse_date(end, "end_date") or clock.now()
    start_at = _parse_date(start, "start_date") or (end_at - timedelta(days=1))
    if end_at - start_at > MAX_SPAN:
        raise Open311Error("start_date and end_date may not span more than 90 days")
    rows = session.execute(
        select(EventLog.id, EventLog.at, EventLog.note, EventLog.to_status, EventLog.action, Event.ref, Event.status)
        .join(Event, Event.id == EventLog.event_id)
        .where(EventLog.public.is_(True), EventLog.at >= start_at, EventLog.at <= end_at, Event.is_drill.is_(False))
        .order_by(EventLog.id)
        .limit(MAX_REQUESTS)
    ).all()
    return [
        {
            "service_request_id": ref,
            "update_id": str(log_id),
            "status": EXTENDED_STATUS.get(to_status or current, "open"),
            "updated_datetime": _w3c(at),
            "description": note or action,
            "media_url": "",
            "external_status_code": to_status or current,
        }
        for log_id, at, note, to_status, action, ref, current in rows
    ]


def post_update(session: Session, key: Open311Key, form: dict[str, Any]) -> dict[str, Any]:
    for name in ("service_request_id", "update_id", "status", "updated_datetime", "description"):
        if not (form.get(name) or "").strip():
            raise Open311Error(f"{name} is required")
    event = get_request(session, form["service_request_id"].strip())
    at = _parse_date(form["updated_datetime"], "updated_datetime") or clock.now()
    session.add(
        EventLog(
            event_id=event.id,
            at=clock.now(),
            action="external_update",
            actor_id=None,
            actor_name=f"open311:{key.name}"[:80],
            actor_unit="",
            from_status=event.status,
            to_status=event.status,
            note=form["description"].strip()[:2000],
            data={"update_id": form["update_id"], "status": form["status"].lower(), "updated_datetime": at.isoformat()},
            public=True,
        )
    )
    audit.record(session, actor_for_key(key), "open311.update_received", event, update_id=form["update_id"])
    return {"update_id": form["update_id"]}
