"""Grid import: a CSV (community_code, seq, name, kind, dedicated_type) or a GeoJSON FeatureCollection;
each row in its own savepoint, so a bad row is reported by row, field and reason and the others are kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cityops.core import bodies
from cityops.core.actor import Actor
from cityops.core.errors import CityOpsError, Invalid
from cityops.grid.models import GridKind
from cityops.grid.service import GridInput, require_admin, upsert_grid

CSV_COLUMNS = ("community_code", "seq", "name", "kind", "dedicated_type")


def _row_error(i: int, exc: CityOpsError) -> dict[str, Any]:
    return {"row": i, "field": str(exc.data.get("field", "")), "reason": exc.detail}


def _import_rows(session: Session, actor: Actor, rows: list[tuple[int, GridInput]]) -> tuple[int, list[dict[str, Any]]]:
    """Each row in its own savepoint: a bad row is reported and the others are kept."""
    saved, errors = 0, []
    for i, data in rows:
        try:
            with session.begin_nested():
                _, _, changed = upsert_grid(session, actor, data)
            saved += int(changed)
        except CityOpsError as exc:
            errors.append(_row_error(i, exc))
    return saved, errors


def import_csv(session: Session, actor: Actor, text: str) -> tuple[int, list[dict[str, Any]]]:
    """Columns community_code, seq, name, kind (综合网格/专属网格), dedicated_type; returns (saved, errors)."""
    require_admin(actor)
    columns, table = bodies.csv_dicts(text.lstrip("\ufeff"), field="file", code="grid.invalid_file")
    missing = [c for c in CSV_COLUMNS[:2] if c not in columns]
    if missing:
        raise Invalid(
            f"CSV 缺少列 {', '.join(missing)} / missing columns",
            field="file",
            missing=missing,
            code="grid.invalid_file",
        )
    rows: list[tuple[int, GridInput]] = []
    errors: list[dict[str, Any]] = []
    for i, r in enumerate(table, start=2):
        seq = (r.get("seq") or "").strip()
        if not seq.isdigit():
            errors.append({"row": i, "field": "seq", "reason": "网格序号须为数字 / seq must be a number"})
            continue
        rows.append(
            (
                i,
                GridInput(
                    community_code=r.get("community_code") or "",
                    seq=int(seq),
                    name=r.get("name") or "",
                    kind=r.get("kind") or GridKind.comprehensive,
                    dedicated_type=r.get("dedicated_type") or "",
                    source="csv",
                ),
            )
        )
    saved, row_errors = _import_rows(session, actor, rows)
    return saved, sorted(errors + row_errors, key=lambda e: int(e["row"]))


def import_geojson(session: Session, actor: Actor, text: str) -> tuple[int, list[dict[str, Any]]]:
    """A FeatureCollection; each feature's properties name community_code and seq (or code = community+Gnn)."""
    require_admin(actor)
    try:
        doc = bodies.loads(text)
    except bodies.BadJSON:
        raise Invalid(
            "不是有效的 GeoJSON / the file is not valid JSON", field="file", code="grid.invalid_file"
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise Invalid(
            "须为 GeoJSON FeatureCollection / expected a FeatureCollection", field="file", code="grid.invalid_file"
        )
    rows: list[tuple[int, GridInput]] = []
    errors: list[dict[str, Any]] = []
    for i, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = str(props.get("code", ""))
        community, seq = str(props.get("community_code", "")), str(props.get("seq", ""))
        if code and "G" in code:
            community, seq = code.rsplit("G", 1)
        if not community or not seq.isdigit():
            errors.append({"row": i, "field": "properties", "reason": "须给出 code 或 community_code+seq"})
            continue
        rows.append(
            (
                i,
                GridInput(
                    community_code=community,
                    seq=int(seq),
                    name=str(props.get("name", "")),
                    kind=str(props.get("kind", "") or GridKind.comprehensive),
                    dedicated_type=str(props.get("dedicated_type", "")),
                    geojson=feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {},
                    source=str(props.get("source", "geojson"))[:80],
                ),
            )
        )
    saved, row_errors = _import_rows(session, actor, rows)
    return saved, sorted(errors + row_errors, key=lambda e: int(e["row"]))
