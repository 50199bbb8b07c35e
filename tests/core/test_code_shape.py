"""The shape docs/architecture.md asks of the code, checked on every run: no source file over 400 lines and
no function over 80 (data files and migrations aside), so a newcomer finds each behaviour in a small place."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cityops"
MAX_FILE, MAX_FUNCTION = 400, 80


def _code_files() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts and not p.name.endswith("_data.py")  # catalogue_data.py etc. are data
    ]


def test_no_file_over_400_lines_and_no_function_over_80() -> None:
    too_long: list[str] = []
    for path in _code_files():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(SRC.parent)
        if text.count("\n") > MAX_FILE:
            too_long.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION:
                    too_long.append(f"{rel}:{node.lineno} {node.name}() {length} lines")
    assert not too_long, "split these into named parts:\n" + "\n".join(too_long)
