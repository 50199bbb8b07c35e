"""Every business error names its rule with a stable code (clients branch on it, not on the wording)."""

from __future__ import annotations

import re
from pathlib import Path

import cityops

RAISE = re.compile(r"raise (NotFound|Conflict|Invalid|Forbidden|Unauthorized|TooManyRequests|Unavailable)\(")


def _call(text: str, start: int) -> str:
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0 and text[i] == ")":
            return text[start : i + 1]
    return text[start:]


def test_every_raise_of_a_generic_business_error_names_its_code() -> None:
    missing = []
    for path in Path(cityops.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in RAISE.finditer(text):
            if "code=" not in _call(text, m.end() - 1):
                missing.append(f"{path.name}:{text[: m.start()].count(chr(10)) + 1}")
    assert not missing, f"raise without code=: {missing}"


def test_error_body_carries_the_code(client) -> None:
    r = client.get("/api/events/999999", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "auth.login_required"
