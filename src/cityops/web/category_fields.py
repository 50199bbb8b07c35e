"""A category's own fields on the report forms (事项要素, the catalogue's `required_fields`: 井盖类型 for a
missing manhole cover, 拖欠金额 and 涉及人数 for unpaid wages): the form shows the fields of the category
chosen, and what is typed goes to intake as the event's attributes. Intake checks them, so a missing or
non-numeric one is refused beside its own field (`attributes.<code>`), as through the API."""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cityops.events import catalogue

PREFIX = "attributes."  # the inputs' names, and the field intake names in its errors


def specs_by_category(session: Session) -> dict[str, list[dict[str, str]]]:
    """Category code -> its fields, for the categories that have any (the forms render one group each)."""
    return {c.code: list(c.required_fields) for c in catalogue.view(session).by_code.values() if c.required_fields}


def entered(fields: FormData, session: Session, category: str) -> dict[str, str]:
    """The chosen category's fields as typed (the form shown again keeps them); other groups are ignored."""
    cat = catalogue.view(session).by_code.get(category)
    if cat is None:
        return {}
    out: dict[str, str] = {}
    for spec in cat.required_fields:
        raw = fields.get(PREFIX + spec["code"])
        out[spec["code"]] = raw.strip() if isinstance(raw, str) else ""
    return out


def attributes(typed: dict[str, str], session: Session, category: str) -> dict[str, Any]:
    """As intake takes them: a number field that reads as a number becomes one (full-width digits and
    thousands separators too: ３,０００ is 3000); other text is passed on for intake to refuse beside its field;
    an empty field is left out, for intake to ask for."""
    cat = catalogue.view(session).by_code.get(category)
    kinds = {spec["code"]: spec.get("type", "string") for spec in (cat.required_fields if cat else ())}
    out: dict[str, Any] = {}
    for code, text in typed.items():
        if not text:
            continue
        out[code] = _number(text) if kinds.get(code) == "number" else text
    return out


def _number(text: str) -> Any:
    plain = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    try:
        value = float(plain)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return int(value) if value.is_integer() else value
