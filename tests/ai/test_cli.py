"""`cityops ai classify FILE`: a CSV (or JSON lines) of texts in, each row's top-3 category codes with scores
out, from the live model (here: the keyword fallback of a database without history, said per row)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cityops.cli.main import app


def test_classify_writes_the_top3_of_every_csv_row(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYOPS_DATABASE_URL", db_url)
    src = tmp_path / "texts.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerow(["a1", "小区门口井盖不见了，晚上很危险"])
        w.writerow(["a2", "楼上广场舞噪音太大，还有装修施工扰民"])
        w.writerow(["a3", "今天天气不错"])
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["ai", "classify", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    assert rows[0]["top1"] == "municipal.manhole_missing" and float(rows[0]["score1"]) > 0
    assert rows[1]["top1"] == "environment.noise" and rows[1]["source"] == "keywords"
    assert rows[2]["top1"] == ""  # nothing matched: no guess
    lines = tmp_path / "texts.jsonl"
    lines.write_text(json.dumps({"id": 7, "title": "路灯不亮", "description": "晚上黑"}, ensure_ascii=False) + "\n")
    result = CliRunner().invoke(app, ["ai", "classify", str(lines)])
    assert result.exit_code == 0 and "municipal.streetlight_fault" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["ai", "classify", str(bad)]).exit_code == 1
