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
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import clock, outbox
from cityops.core.hooks import hooks_of
from cityops.core.settings import Settings
from cityops.org.models import Centre
from cityops.plans.models import Notification

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


def deliver_webhook(session: Session, payload: dict[str, Any]) -> None:
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


def deliver_sms(session: Session, payload: dict[str, Any]) -> None:
    sms_adapter(hooks_of(session).settings).send(payload["phone"], payload["text"])
