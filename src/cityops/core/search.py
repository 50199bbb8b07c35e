"""A list's search box, one rule for the registers that have a reference number: the words anywhere in the
given text columns (LIKE's `%` and `_` taken as themselves), or the reference number exactly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def text_or_ref(q: str, text_cols: tuple[Any, ...], ref_col: Any) -> ColumnElement[bool]:
    like = q.strip()
    return or_(*(col.contains(like, autoescape=True) for col in text_cols), ref_col == like)
