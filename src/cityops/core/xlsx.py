"""Values for spreadsheet cells. XLSX is XML 1.0, which cannot hold most control characters: a stored note
with a stray one (a pasted form feed, a NUL from a scanner) must not stop the export of a whole list, so
such characters are left out of the cell, as Excel itself would refuse them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def cell(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def cells(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]
