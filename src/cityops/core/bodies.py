"""Request bodies that routes parse themselves (bulk imports, sensor lines, device lists, CSV uploads):
what Pydantic refuses on the other routes is refused here too, as a 4xx that says why, never a crash —
JSON nested deeper than Python's parser goes, a lone UTF-16 surrogate escape (`"\\ud800"`, which no
database can store), a CSV the csv module cannot read (a NUL byte, a field over its size limit)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cityops.core.errors import Invalid


class BadJSON(ValueError):
    """Why a JSON text was refused, in Chinese and English (the caller places it: a field, a line)."""


def loads(text: str) -> Any:
    """`json.loads`, raising `BadJSON` for everything a client can get wrong."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadJSON(f"JSON 无法解析 / invalid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise BadJSON("JSON 嵌套过深 / JSON nested too deeply") from None
    # Only an escape can smuggle in a lone surrogate (a str read from UTF-8 holds none); whether one is lone is
    # asked of the decoded value, since judging the escapes in the text is fooled by escaped backslashes.
    if "\\u" in text and not _encodable(value):
        raise BadJSON("含无效字符（孤立的代理项 \\uD800–\\uDFFF）/ the text holds a lone UTF-16 surrogate escape")
    return value


def _encodable(value: Any) -> bool:
    """Whether every string in a parsed value (keys too) can be written as UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except RecursionError:  # a value just inside the parser's depth can be beyond the encoder's
        raise BadJSON("JSON 嵌套过深 / JSON nested too deeply") from None
    return True


def loads_body(text: str, *, code: str) -> Any:
    """A whole body as JSON: refused as a 422 on `body` under the route's `code`."""
    try:
        return loads(text)
    except BadJSON as exc:
        raise Invalid(str(exc), field="body", code=code) from None


@contextmanager
def readable_csv(*, field: str, code: str) -> Iterator[None]:
    """Around reading a CSV body: what the csv module cannot read becomes a 422 naming `field`."""
    try:
        yield
    except csv.Error as exc:
        raise Invalid(f"CSV 无法读取 / unreadable CSV: {exc}", field=field, code=code) from None


def csv_dicts(text: str, *, field: str, code: str) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV body's header and rows (as `csv.DictReader` gives them), read whole under `readable_csv`."""
    with readable_csv(field=field, code=code):
        reader = csv.DictReader(io.StringIO(text))
        return list(reader.fieldnames or []), list(reader)
