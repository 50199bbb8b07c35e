"""Read models: risk points as API objects, shared by the routes and the pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.risks import matrix
from cityops.risks import service as points
from cityops.risks.models import RiskCategory, RiskPoint
from cityops.risks.schemas import PointRead


def read_points(session: Session, rows: list[RiskPoint]) -> list[PointRead]:
    cats = {c.id: c for c in session.scalars(select(RiskCategory))}
    out = []
    for p in rows:
        r = PointRead.model_validate(p)
        cat = cats.get(p.category_id)
        r.category, r.category_name = (cat.code, cat.name) if cat else ("", "")
        r.unit_name = points.unit_name(session, p.unit_id)
        r.level_name, r.color = matrix.LEVEL_NAME[p.level], matrix.LEVEL_COLOR[p.level]
        r.device_ids = points.device_ids(session, p.id)
        out.append(r)
    return out
