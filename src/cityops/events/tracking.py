"""Tracking codes for citizens who leave no phone: references are sequential and guessable, so a report
without a phone is tracked with a random code printed on the receipt. Only its hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cityops.events.models import Event

# No 0/O, 1/I/L: the code is read off a phone screen and typed back.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def issue_code(event: Event) -> str:
    """A fresh code for this event (shown once, on the receipt)."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    event.tracking_code_hash = _hash(code)
    return code


def proves_reporter(event: Event, secret: str) -> bool:
    """The last four digits of the phone given, or — without a phone — the receipt's tracking code. An event
    with neither (another channel, no phone) cannot be tracked on the public pages."""
    secret = secret.strip()
    if event.reporter_phone:
        return hmac.compare_digest(event.reporter_phone[-4:], secret)
    if event.tracking_code_hash and secret:
        return hmac.compare_digest(event.tracking_code_hash, _hash(secret))
    return False
