"""Request bodies read by the import routes: a size limit and UTF-8, refused with the route's code."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.requests import Request

from cityops.core.bodies import BadJSON, loads
from cityops.core.deps import limited_body, utf8_body
from cityops.core.errors import Invalid


def _run(coro: Any) -> Any:
    """Run a coroutine on its own thread's loop: the browser tests leave a loop running on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _request(body: bytes) -> Request:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


def test_a_body_within_the_limit_is_read_and_decoded() -> None:
    assert _run(limited_body(_request(b"\xff" * 10), max_mb=1, code="x.invalid_body")) == b"\xff" * 10
    assert _run(utf8_body(_request("预案".encode()), max_mb=1, kind="YAML", code="x.invalid_body")) == "预案"


def test_too_large_or_not_utf8_is_refused_under_the_routes_code() -> None:
    big = _request(b"a" * (2 * 1024 * 1024 + 1))
    with pytest.raises(Invalid) as too_large:
        _run(utf8_body(big, max_mb=2, kind="YAML", code="plan.invalid_body"))
    assert too_large.value.detail == "请求体超过2MB / body larger than 2 MB"
    assert (too_large.value.code, too_large.value.data) == ("plan.invalid_body", {"field": "body"})
    with pytest.raises(Invalid) as not_text:
        _run(utf8_body(_request(b"\xff\xfe"), max_mb=20, kind="JSON lines", code="sensing.invalid_body"))
    assert not_text.value.detail == "须为UTF-8文本 / body must be UTF-8 JSON lines"
    assert (not_text.value.code, not_text.value.data) == ("sensing.invalid_body", {"field": "body"})


def test_a_lone_surrogate_is_found_in_the_decoded_text_not_guessed_from_the_escapes() -> None:
    for text in ('"\\ud800"', '"\\udc00x"', '"\\\\\\ud800"', '{"\\ud800": 1}', '"\\\\ud800\\udc00"'):
        with pytest.raises(BadJSON):
            loads(text)
    assert loads('"\\ud83d\\udca1"') == "\U0001f4a1"  # a pair is one character
    assert loads('"\\\\ud800"') == "\\ud800"  # an escaped backslash: six plain characters


def test_nesting_at_the_parsers_limit_is_refused_not_raised() -> None:
    for depth in range(900, 1100):  # where the parser stops and the encoder's check begins
        text = "[" * depth + '"\\u0041"' + "]" * depth
        with contextlib.suppress(BadJSON):  # refused is fine; anything else raised fails the test
            loads(text)
