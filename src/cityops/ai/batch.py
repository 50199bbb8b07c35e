"""Scoring a file of texts (`cityops ai classify`): CSV with a `text` column (or title/description/address
columns), or JSON lines with the same keys; each row gets its top-3 category codes with scores, so an
operator can score the model on their own labelled history."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cityops.ai import service
from cityops.ai.text import event_text
from cityops.core.errors import Invalid

OUT_COLUMNS = ["id", "text", "top1", "score1", "top2", "score2", "top3", "score3", "source", "model_version"]


def _text_of(row: dict[str, Any]) -> str:
    if row.get("text"):
        return str(row["text"])
    return event_text(str(row.get("title") or ""), str(row.get("description") or ""), str(row.get("address") or ""))


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    raw = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for n, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    yield dict(json.loads(line))
                except (ValueError, TypeError):
                    raise Invalid(f"第{n}行不是JSON对象 / line {n} is not a JSON object", code="ai.bad_line") from None
        return
    reader = csv.DictReader(io.StringIO(raw))
    if not reader.fieldnames or not ({"text", "description", "title"} & set(reader.fieldnames)):
        raise Invalid("CSV须有 text 或 title/description 列 / CSV needs a text column", code="ai.no_text_column")
    yield from reader


def classify_rows(session: Session, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for n, row in enumerate(rows, 1):
        text = _text_of(row)
        s = service.suggest(session, text)
        out: dict[str, Any] = {"id": row.get("id", n), "text": text, "source": s.source}
        out["model_version"] = s.model_version or ""
        for i in range(3):
            item = s.items[i] if i < len(s.items) else None
            out[f"top{i + 1}"] = item.code if item else ""
            out[f"score{i + 1}"] = item.score if item else ""
        yield out


def write_csv(rows: Iterator[dict[str, Any]], out: io.TextIOBase | Any) -> int:
    writer = csv.DictWriter(out, fieldnames=OUT_COLUMNS)
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n
