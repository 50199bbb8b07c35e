"""The grid domain's indicator sources (indicators never import grid; grid offers them through hooks).

- `grid`: the grid KPIs of `cityops.grid.kpis` (one definition, docs/grid.md, docs/kpis.md) over each
  unit's subtree and the indicator's period; rates are fractions (the indicator says `fraction`).
- `form`: an aggregate of one field of an 一表通 report template over the records of the template's kind
  in each unit's subtree (and in the template's own scope). Facts are current values, filled once: a
  snapshot indicator (period `now`) reads every current fact; any other period reads the facts filled
  (last written) within its China days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role, system_actor
from cityops.core.errors import Forbidden, Invalid
from cityops.events.calendar import CST
from cityops.grid import forms, kpis
from cityops.grid.form_models import BaseRecord, FormField, RecordFact, ReportTemplate
from cityops.grid.models import GridAssignment, GridReport, PatrolPlan
from cityops.org import service as org
from cityops.org.models import OrgUnit

GRID_METRICS = ("reports_per_worker", "valid_report_rate", "on_spot_rate", "patrol_coverage", "on_time_checkin_rate")
AGGREGATES = {
    "count": "填报数（非空）",
    "count_eq": "取值等于…的记录数",
    "sum": "合计",
    "avg": "平均",
    "min": "最小",
    "max": "最大",
}
NUMERIC_AGGREGATES = ("sum", "avg", "min", "max")


def _active_paths(session: Session) -> list[str]:
    """Paths holding any grid work (assignments, plans, reports): units elsewhere get no value, which keeps
    the periodic computation from writing five empty rows for each of the city's streets."""
    stmt = union(
        select(GridAssignment.unit_path), select(PatrolPlan.unit_path), select(GridReport.unit_path)
    ).subquery()
    return [str(p) for p in session.scalars(select(stmt.c[0]))]


def grid_values(session: Session, ind: Any, units: list[OrgUnit], since: date, until: date) -> dict[int, float | None]:
    """Indicator source `grid`: {"type": "grid", "metric": one of GRID_METRICS}."""
    metric = str((ind.source or {}).get("metric"))
    if metric not in GRID_METRICS:
        return {u.id: None for u in units}
    paths = _active_paths(session)
    out: dict[int, float | None] = {}
    for u in units:
        if not any(p.startswith(u.path) for p in paths):
            if u.id == ind.owner_unit_id:
                out[u.id] = None
            continue
        viewer = system_actor("system:grid-kpis", unit_path=u.path, unit_id=u.id)
        out[u.id] = getattr(kpis.compute(session, viewer, u, since, until), metric)
    return out


# -- 一表通 as an indicator source ------------------------------------------------------------------------------
def check_form_source(session: Session, actor: Actor, source: dict[str, Any]) -> tuple[ReportTemplate, FormField]:
    """A `form` source must name a template the actor sees, one of its fields and an aggregate fitting the
    field's type (sums of numbers only)."""
    if not actor.has(Role.leader, Role.sysadmin):
        raise Forbidden("仅领导或系统管理员可定义指标 / only leaders define indicators", code="form.indicator_admins")
    try:
        template_id = int(source.get("template", 0))
    except (TypeError, ValueError):
        template_id = 0
    template = forms.access_template(session, actor, template_id)
    by_code = {f.code: f for f in forms.fields_of(session, template)}
    field = by_code.get(str(source.get("field", "")))
    if field is None:
        raise Invalid(
            "该字段不在报表模板中 / the field is not in the template",
            field="field",
            code="form.invalid_indicator_field",
        )
    agg = str(source.get("agg", ""))
    if agg not in AGGREGATES:
        raise Invalid(
            "汇总方式须为 count、count_eq、sum、avg、min 或 max / unknown aggregate",
            field="agg",
            code="form.invalid_indicator_agg",
        )
    if agg in NUMERIC_AGGREGATES and field.value_type != "number":
        raise Invalid(
            f"「{field.name}」不是数字字段，只能计数 / only number fields can be summed",
            field="agg",
            code="form.invalid_indicator_agg",
        )
    if agg == "count_eq" and not str(source.get("equals", "")).strip():
        raise Invalid("请填写要计数的取值 / equals is required", field="equals", code="form.invalid_indicator_equals")
    return template, field


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def aggregate(agg: str, values: list[str], equals: str = "") -> float | None:
    """One aggregate over the facts' values (empty values are not facts; non-numbers are not summed)."""
    filled = [v for v in values if v.strip()]
    if agg == "count":
        return float(len(filled))
    if agg == "count_eq":
        return float(sum(1 for v in filled if v.strip() == equals.strip()))
    numbers = [n for n in (_number(v) for v in filled) if n is not None]
    if not numbers:
        return None
    if agg == "sum":
        return float(sum(numbers))
    if agg == "avg":
        return round(sum(numbers) / len(numbers), 4)
    return float(min(numbers) if agg == "min" else max(numbers))


def form_values(session: Session, ind: Any, units: list[OrgUnit], since: date, until: date) -> dict[int, float | None]:
    """Indicator source `form`: {"type": "form", "template": id, "field": code, "agg": …, "equals": …}."""
    src = ind.source or {}
    template = session.get(ReportTemplate, int(src.get("template") or 0))
    field = session.scalars(select(FormField).where(FormField.code == str(src.get("field", "")))).one_or_none()
    agg = str(src.get("agg", ""))
    if template is None or field is None or field.id not in (template.field_ids or []) or agg not in AGGREGATES:
        return {u.id: None for u in units}
    stmt = (
        select(BaseRecord.unit_path, RecordFact.value)
        .join(RecordFact, RecordFact.record_id == BaseRecord.id)
        .where(
            BaseRecord.kind == template.record_kind,
            RecordFact.field_id == field.id,
            org.in_subtree(BaseRecord.unit_path, template.unit_path),
        )
    )
    if ind.period != "now":
        start = datetime.combine(since, time(0), CST)
        stop = datetime.combine(until + timedelta(days=1), time(0), CST)
        stmt = stmt.where(RecordFact.filled_at >= start, RecordFact.filled_at < stop)
    facts = session.execute(stmt).all()
    equals = str(src.get("equals", ""))
    return {u.id: aggregate(agg, [str(v) for p, v in facts if str(p).startswith(u.path)], equals) for u in units}
