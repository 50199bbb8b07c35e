"""Personal data in free text: mainland ID card numbers (身份证号, 18 digits or 17 + X, and the old 15-digit
form) and mobile numbers are masked wherever text leaves the system in lists, exports, public feeds and
logs; an audited reveal shows them to staff who give a reason."""

from __future__ import annotations

import re
from typing import Any

# Not preceded or followed by another digit, so order numbers and amounts are left alone.
_ID = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)|(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """ "身份证500103199001011234，电话13912345678" → "身份证500103********1234，电话139****5678"."""
    if not text:
        return text

    def id_number(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{m.group(1)}********{m.group(3)[-4:]}"
        return f"{m.group(4)}******{m.group(6)}"

    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", _ID.sub(id_number, text))


def mask_value(value: Any) -> Any:
    """Mask strings inside JSON-like values (event attributes)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    return value
