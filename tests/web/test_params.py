"""The form and query-string helpers the pages share: one refusal for a bad date or number on every page."""

from __future__ import annotations

from datetime import date, time

import pytest

from cityops.core.errors import Invalid
from cityops.events.calendar import CST
from cityops.web.params import day_at, form_date, form_number, query_string


def test_a_typed_date_and_its_refusal() -> None:
    assert form_date(" 2026-03-31 ", "paid_on") == date(2026, 3, 31)
    for text in ("", "31/03/2026"):
        with pytest.raises(Invalid) as refused:
            form_date(text, "paid_on")
        assert refused.value.code == "page.invalid_date" and refused.value.data["field"] == "paid_on"


def test_an_optional_day_is_a_moment_in_china_time() -> None:
    assert day_at("  ", "deadline", time(23, 59)) is None
    due = day_at("2026-03-31", "deadline", time(23, 59))
    assert due is not None and due.tzinfo is CST and (due.hour, due.minute) == (23, 59)


def test_numbers_and_query_strings() -> None:
    assert form_number(" 45,600 ", "amount") == 45600.0
    with pytest.raises(Invalid):
        form_number("四万", "amount")
    assert query_string({"level": "major", "q": "桥 梁/2", "category": "", "unit_id": 7}) == (
        "level=major&q=%E6%A1%A5%20%E6%A2%81/2&unit_id=7"
    )
