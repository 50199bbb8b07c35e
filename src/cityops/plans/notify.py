"""Notifications: an in-app row for a centre, written with the change, and — unless it is a drill —
outbox messages that carry it out of the system (webhooks, SMS through a pluggable adapter).

Outbound delivery is at least once: webhooks get an `X-CityOps-Delivery` header to drop repeats.
"""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any, Protocol

import httpx
from sqlalchemy import String, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from cityops.core import clock, outbox
from cityops.core.actor import Actor
from cityops.core.errors import NotFound
from cityops.core.hooks import Hooks, hooks_of
from cityops.core.settings import Settings
from cityops.org.models import Centre
from cityops.plans.models import Notification, ReadMark

log = logging.getLogger("cityops.notify")


class SmsAdapter(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsAdapter:
    """The default adapter: writes each text to the log (phone masked) and keeps it in `sent`, until an
    operator plugs in a real SMS gateway through CITYOPS_SMS_ADAPTER."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        from cityops.core.pii import mask_text
        from cityops.events.service import mask_phone

        self.sent.append((phone, text))
        log.info("SMS to %s: %s", mask_phone(phone), mask_text(text))


LOGGING_SMS = LoggingSmsAdapter()


def sms_adapter(settings: Settings) -> SmsAdapter:
    name = settings.sms_adapter
    if name == "log":
        return LOGGING_SMS
    module, _, attr = name.partition(":")
    adapter: SmsAdapter = getattr(importlib.import_module(module), attr)
    return adapter


def webhook_urls(settings: Settings) -> list[str]:
    return [u.strip() for u in settings.webhook_urls.split(",") if u.strip()]


def notify(
    session: Session,
    *,
    unit_id: int,
    roles: list[str],
    kind: str,
    title: str,
    body: str,
    subject: tuple[str, int],
    drill: bool,
    sms: bool = False,
    department_id: int | None = None,
) -> Notification:
    """Tell a centre. A drill stays in the system: no webhook, no SMS."""
    now = clock.now()
    n = Notification(
        unit_id=unit_id,
        roles=roles,
        department_id=department_id,
        kind=kind,
        title=("【演练】" if drill else "") + title,
        body=body,
        subject_type=subject[0],
        subject_id=subject[1],
        is_drill=drill,
        created_at=now,
    )
    session.add(n)
    session.flush()
    if drill:
        return n
    message = {"notification_id": n.id, "unit_id": unit_id, "kind": kind, "title": n.title, "body": body}
    for url in webhook_urls(hooks_of(session).settings):
        outbox.add(session, "notify.webhook", url=url, **message)
    if sms:
        phone = session.scalar(select(Centre.duty_phone).where(Centre.unit_id == unit_id))
        if phone:
            outbox.add(session, "notify.sms", phone=phone, text=f"{n.title}：{body}"[:300], **message)
    return n


def deliver_webhook(hooks: Hooks, payload: dict[str, Any]) -> None:
    """POST the notification; any answer but 2xx (or a timeout) fails the delivery, which the worker
    retries with backoff. Only http(s) URLs are accepted."""
    body = {k: v for k, v in payload.items() if k != "url"}
    url = str(payload["url"])
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must be http(s): {url!r}")
    response = httpx.post(
        url,
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-CityOps-Delivery": str(payload["notification_id"])},
        timeout=5.0,
    )
    if not response.is_success:
        raise RuntimeError(f"webhook answered {response.status_code}")


def deliver_sms(hooks: Hooks, payload: dict[str, Any]) -> None:
    sms_adapter(hooks.settings).send(payload["phone"], payload["text"])


# -- the inbox: who sees a notification, and who has read it ---------------------------------------------
class NotificationNotFound(NotFound):
    message = "通知不存在 / Notification not found."
    default_code = "notification.not_found"


def for_actor(actor: Actor) -> Any:
    """Notifications addressed to the actor's own centre and one of its roles (or all its staff), or to the
    actor's department."""
    if actor.unit_id is None:
        return literal(False)
    roles = type_coerce(Notification.roles, String)  # JSON text: match the quoted role names
    role_match = [roles.like(f'%"{r.value}"%') for r in actor.roles]
    to_centre = (Notification.unit_id == actor.unit_id) & Notification.department_id.is_(None)
    to_centre = to_centre & or_(roles == "[]", *role_match)
    if actor.department_id is None:
        return to_centre
    return or_(to_centre, Notification.department_id == actor.department_id)


def _read_by(actor: Actor) -> Any:
    return select(ReadMark.notification_id).where(ReadMark.user_id == actor.user_id)


def inbox(actor: Actor, *, unread: bool | None = None, kind: str | None = None, drill: bool | None = None) -> Any:
    """The actor's notifications, newest first, optionally only unread (or read), of one kind, drills or not."""
    stmt = select(Notification).where(for_actor(actor))
    if unread is not None and actor.user_id is not None:
        read = Notification.id.in_(_read_by(actor))
        stmt = stmt.where(~read if unread else read)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if drill is not None:
        stmt = stmt.where(Notification.is_drill.is_(drill))
    return stmt.order_by(Notification.id.desc())


def unread_count(session: Session, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    stmt = select(func.count()).select_from(inbox(actor, unread=True).order_by(None).subquery())
    return int(session.scalar(stmt) or 0)


def read_ids(session: Session, actor: Actor, ids: list[int]) -> set[int]:
    if actor.user_id is None or not ids:
        return set()
    return set(session.scalars(_read_by(actor).where(ReadMark.notification_id.in_(ids))))


def access_notification(session: Session, actor: Actor, notification_id: int) -> Notification:
    n = session.scalars(select(Notification).where(Notification.id == notification_id, for_actor(actor))).first()
    if n is None:
        raise NotificationNotFound(notification_id=notification_id)
    return n


def mark_read(session: Session, actor: Actor, notifications: list[Notification]) -> int:
    """Mark these (already accessed) notifications read for this user; returns how many were unread."""
    if actor.user_id is None:
        return 0
    done = read_ids(session, actor, [n.id for n in notifications])
    now = clock.now()
    fresh = [n for n in notifications if n.id not in done]
    session.add_all(ReadMark(notification_id=n.id, user_id=actor.user_id, read_at=now) for n in fresh)
    session.flush()
    return len(fresh)


def mark_all_read(session: Session, actor: Actor, *, limit: int = 5000) -> int:
    return mark_read(session, actor, list(session.scalars(inbox(actor, unread=True).limit(limit))))
