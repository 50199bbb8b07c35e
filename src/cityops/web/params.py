"""What page handlers read from a form or a query string, said once: a typed date (refused with the same
message on every page), a number, and the query string a list's paging links carry its filters in."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select
from sqlalchemy.orm import Session

from cityops.core.errors import Invalid
from cityops.events.calendar import CST


def form_date(text: str, field: str) -> date:
    """A date typed as 年-月-日; anything else (a blank too) is refused under `field`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            "日期格式应为 年-月-日 / a date looks like 2026-03-31", field=field, code="page.invalid_date"
        ) from None


def day_at(text: str, field: str, at: time) -> datetime | None:
    """An optional date from a form as a moment of that day in China time (blank: None)."""
    return datetime.combine(form_date(text, field), at, tzinfo=CST) if text.strip() else None


def form_number(text: str, field: str) -> float:
    """A number typed in a form; thousands separators (1,200) are accepted. `float` also reads "nan" and
    "inf", which are no amount or count anyone types: refused like any other text."""
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Invalid("请填写数字 / a number is needed", field=field, code="page.invalid_number")
    return value


def query_string(given: dict[str, Any]) -> str:
    """The filters a list page was asked with, for its paging links (the empty ones left out)."""
    return "&".join(f"{k}={quote(str(v))}" for k, v in given.items() if v)


def page_of(session: Session, stmt: Select[Any], page: int, size: int) -> tuple[list[Any], bool]:
    """One page (1-based) of a list's rows, and whether there are more after it."""
    rows = list(session.scalars(stmt.limit(size + 1).offset((page - 1) * size)))
    return rows[:size], len(rows) > size
