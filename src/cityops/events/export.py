"""Event exports for people: Chinese headers, Chinese status, severity and rating names, times in China
Standard Time (named in the header, no microseconds), phones masked — as CSV with a byte-order mark (so
Excel on a Chinese Windows opens it as UTF-8) or as XLSX. The API itself keeps codes and ISO 8601 UTC."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from cityops.core import xlsx
from cityops.events.calendar import CST
from cityops.events.models import RATING_NAMES, SEVERITY_NAMES, SOURCE_NAMES, STATUS_NAMES
from cityops.events.schemas import EventRead

ZONE = "北京时间 UTC+8"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _local(value: datetime | None) -> datetime | None:
    """China time, to the second; naive, because a spreadsheet cell has no zone (the header names it)."""
    return value.astimezone(CST).replace(tzinfo=None, microsecond=0) if value is not None else None


def _name(table: dict[str, tuple[str, str]]) -> Callable[[EventRead, str], Any]:
    return lambda r, attr: table.get(getattr(r, attr) or "", ("",))[0]


def _plain(r: EventRead, attr: str) -> Any:
    return getattr(r, attr)


def _time(r: EventRead, attr: str) -> Any:
    return _local(getattr(r, attr))


def _yes_no(r: EventRead, attr: str) -> Any:
    return "是" if getattr(r, attr) else "否"


# (attribute, header, how to show it)
COLUMNS: tuple[tuple[str, str, Callable[[EventRead, str], Any]], ...] = (
    ("ref", "受理编号", _plain),
    ("received_at", f"受理时间（{ZONE}）", _time),
    ("status", "状态", _name(STATUS_NAMES)),
    ("category_name", "事项类别", _plain),
    ("severity", "紧急程度", _name(SEVERITY_NAMES)),
    ("source", "来源", _name(SOURCE_NAMES)),
    ("unit_place", "所在区域", _plain),
    ("owner_name", "承办单位", _plain),
    ("address", "地址", _plain),
    ("title", "标题", _plain),
    ("due_at", f"本环节时限（{ZONE}）", _time),
    ("overdue", "是否超期", _yes_no),
    ("closed_at", f"办结时间（{ZONE}）", _time),
    ("rating", "评价", _name(RATING_NAMES)),
    ("reporter_phone", "报事人电话（脱敏）", _plain),
)
HEADERS = [header for _, header, _ in COLUMNS]


def row(r: EventRead) -> list[Any]:
    return [show(r, attr) for attr, _, show in COLUMNS]


def to_csv(batches: Iterable[list[EventRead]]) -> tuple[str, int]:
    """The CSV text (BOM first) and the number of data rows."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    n = 0
    for batch in batches:
        for r in batch:
            writer.writerow(
                ["" if v is None else (v.strftime(TIME_FORMAT) if isinstance(v, datetime) else v) for v in row(r)]
            )
            n += 1
    return out.getvalue(), n


def to_xlsx(batches: Iterable[list[EventRead]]) -> tuple[bytes, int]:
    """An XLSX workbook (one sheet, 事件) and the number of data rows; times are date cells in China time."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    # The first batch before the workbook: a refused filter (another unit's id) raises here, and never
    # leaves a half-written workbook behind.
    rest = iter(batches)
    batches = itertools.chain([next(rest, [])], rest)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("事件")
    ws.freeze_panes = "A2"
    ws.append(HEADERS)
    n = 0
    for batch in batches:
        for r in batch:
            cells = []
            for value in row(r):
                cell = WriteOnlyCell(ws, value=xlsx.cell(value))
                if isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                cells.append(cell)
            ws.append(cells)
            n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n
