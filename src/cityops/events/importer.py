"""Batch intake formats: JSON array, JSON lines, CSV. Each row becomes an IntakeItem or a row error."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from cityops.core import bodies
from cityops.core.errors import Invalid
from cityops.events.intake import IntakeItem
from cityops.events.schemas import EventCreate

MAX_ROWS = 50_000
CSV_FIELDS = (
    "category",
    "description",
    "title",
    "severity",
    "source",
    "address",
    "lon",
    "lat",
    "unit_code",
    "reporter_name",
    "reporter_phone",
    "idempotency_key",
    "received_at",
)


def parse(body: bytes, content_type: str) -> list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    """-> [(row number, raw dict or None, error or None)]; row numbers are 1-based data rows (CSV: line numbers)."""
    try:
        text = body.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        raise Invalid("须为UTF-8文本 / the body must be UTF-8 text", field="body", code="event.invalid_body") from None
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        with bodies.readable_csv(field="body", code="event.invalid_body"):
            return _csv(text)
    if kind in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return _lines(text)
    if kind in ("application/json", ""):
        data = bodies.loads_body(text, code="event.invalid_body")
        if not isinstance(data, list):
            raise Invalid("应为 JSON 数组 / expected a JSON array of events", field="body", code="event.invalid_body")
        _check_size(len(data))
        return [
            (i, row, None) if isinstance(row, dict) else (i, None, _err("body", "行应为对象 / row must be an object"))
            for i, row in enumerate(data, start=1)
        ]
    raise Invalid(
        f"不支持的格式 / unsupported content type {kind!r}; use application/json, application/x-ndjson or text/csv",
        field="content-type",
        code="event.invalid_content-type",
    )


def _check_size(n: int) -> None:
    if n > MAX_ROWS:
        raise Invalid(
            f"一次最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows per batch",
            field="body",
            rows=n,
            code="event.invalid_body",
        )


def _err(field: str, reason: str) -> dict[str, Any]:
    return {"error": "ValidationError", "field": field, "reason": reason}


def _lines(text: str) -> list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    out: list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = []
    lines = text.splitlines()
    _check_size(len(lines))
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = bodies.loads(line)
        except bodies.BadJSON as exc:
            out.append((n, None, _err("line", str(exc))))
            continue
        out.append((n, row, None) if isinstance(row, dict) else (n, None, _err("line", "行应为对象 / not an object")))
    return out


def _csv(text: str) -> list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("category", "description") if f not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(
            f"CSV 缺少列 / CSV lacks the column {missing[0]}", field=missing[0], code="event.csv_missing_column"
        )
    out: list[tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = []
    for row in reader:
        line = reader.line_num
        clean: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        extra = {k: v for k, v in clean.items() if k not in CSV_FIELDS and not k.startswith("attr.")}
        if extra:
            out.append((line, None, _err(next(iter(extra)), "未知列 / unknown column")))
            continue
        attrs = {k[5:]: v for k, v in clean.items() if k.startswith("attr.")}
        clean = {k: v for k, v in clean.items() if not k.startswith("attr.")}
        if attrs:
            clean["attributes"] = attrs
        for key in ("lon", "lat"):
            if key in clean:
                try:
                    clean[key] = float(clean[key])
                except ValueError:
                    out.append((line, None, _err(key, "须为数字 / must be a number")))
                    break
        else:
            out.append((line, clean, None))
        _check_size(len(out))
    return out


def to_item(raw: dict[str, Any], *, reporter_user_id: int | None) -> IntakeItem:
    """Validate one row with the same schema as single intake; raises Invalid naming the field."""
    received_at = raw.pop("received_at", None)
    try:
        data = EventCreate.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "row"
        raise Invalid(f"{field}: {first.get('msg', 'invalid')}", field=field, code="event.invalid_row") from None
    at = None
    if received_at:
        try:
            at = datetime.fromisoformat(str(received_at))
        except ValueError:
            raise Invalid(
                "received_at 须为 ISO-8601 时间 / received_at must be ISO-8601",
                field="received_at",
                code="event.invalid_received_at",
            ) from None
        if at.tzinfo is None:
            raise Invalid(
                "received_at 须带时区 / received_at needs a time zone (e.g. +08:00)",
                field="received_at",
                code="event.invalid_received_at",
            )
    return IntakeItem(**data.model_dump(), reporter_user_id=reporter_user_id, received_at=at)
