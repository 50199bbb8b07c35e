from __future__ import annotations

from pathlib import Path

from cityops.catalog.permissions import render


def test_catalog_permissions_doc_matches_the_enforced_table() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert render() in doc
