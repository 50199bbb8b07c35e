"""The catalogue and duty lists: seeding the defaults, editing, CSV import/export, and the in-memory
view that intake and routing read (rebuilt when the tables change)."""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, bodies
from cityops.core.actor import Actor, Role
from cityops.core.cache import VersionedCache
from cityops.core.errors import Forbidden, Invalid, NotFound
from cityops.events.calendar import WorkCalendar, parse_duration
from cityops.events.models import Category, Duty, Severity
from cityops.org.models import OrgLevel, OrgUnit

STAGES = ("accept", "sign", "handle", "verify")
DUTY_LEVELS = (OrgLevel.street.value, OrgLevel.district.value, OrgLevel.city.value)


class CategoryNotFound(NotFound):
    message = "事项分类不存在 / Unknown event category."
    default_code = "catalogue.category_not_found"


@dataclass(frozen=True)
class CategoryView:
    id: int
    code: str
    name: str
    family: str
    family_code: str
    default_severity: str
    deadlines: dict[str, dict[str, str]]
    required_fields: tuple[dict[str, Any], ...]
    keywords: tuple[str, ...]
    name_en: str = ""


@dataclass(frozen=True)
class DutyView:
    level: str
    assignee: str
    department_code: str | None
    specific: bool
    note: str = ""  # e.g. the 三级职责清单 item the duty comes from, shown in the routing reason


@dataclass
class CatalogueView:
    signature: Hashable
    by_code: dict[str, CategoryView] = field(default_factory=dict)
    by_id: dict[int, CategoryView] = field(default_factory=dict)
    duties: dict[tuple[int, int | None], DutyView] = field(default_factory=dict)

    def category(self, code: str) -> CategoryView:
        view = self.by_code.get(code)
        if view is None:
            raise CategoryNotFound(f"事项分类不存在 / Unknown category {code!r}.", field="category")
        return view


def view(session: Session) -> CatalogueView:
    return _CACHE.get(session)


def invalidate() -> None:
    """Edits that keep counts and ids (e.g. changing a deadline) call this."""
    _CACHE.invalidate()


def _signature(session: Session) -> tuple[int, int, int, int]:
    c_n, c_max = session.execute(select(func.count(Category.id), func.max(Category.id))).one()
    d_n, d_max = session.execute(select(func.count(Duty.id), func.max(Duty.id))).one()
    return int(c_n or 0), int(c_max or 0), int(d_n or 0), int(d_max or 0)


def _build(session: Session, sig: Hashable) -> CatalogueView:
    v = CatalogueView(signature=sig)
    families = {c.id: c for c in session.scalars(select(Category).where(Category.parent_id.is_(None)))}
    for c in session.scalars(select(Category).where(Category.parent_id.is_not(None), Category.active.is_(True))):
        fam = families.get(c.parent_id or 0)
        cv = CategoryView(
            c.id,
            c.code,
            c.name,
            c.family,
            fam.code if fam else "",
            c.default_severity,
            c.deadlines or {},
            tuple(c.required_fields or ()),
            tuple(c.keywords or ()),
            c.name_en or "",
        )
        v.by_code[c.code] = cv
        v.by_id[c.id] = cv
    for d in session.scalars(select(Duty)):
        v.duties[(d.category_id, d.unit_id)] = DutyView(
            d.level, d.assignee, d.department_code, d.unit_id is not None, d.note or ""
        )
    return v


_CACHE: VersionedCache[CatalogueView] = VersionedCache(_signature, _build)


# -- editing ----------------------------------------------------------------------------------------------
def _require_admin(actor: Actor) -> None:
    if not actor.has(Role.sysadmin, Role.app_admin):
        raise Forbidden(
            "仅管理员可修改事项目录和职责清单 / Only admins edit the catalogue and duty lists.",
            code="catalogue.admin_required",
        )


def validate_deadlines(deadlines: dict[str, dict[str, str]]) -> None:
    for severity, stages in deadlines.items():
        if severity not in Severity.__members__:
            raise Invalid(
                f"未知紧急程度 / unknown severity {severity!r}",
                field=f"deadlines.{severity}",
                code="catalogue.unknown_severity",
            )
        for stage, text in stages.items():
            if stage not in STAGES:
                raise Invalid(
                    f"未知环节 / unknown stage {stage!r}",
                    field=f"deadlines.{severity}.{stage}",
                    code="catalogue.unknown_stage",
                )
            parse_duration(text, field_name=f"deadlines.{severity}.{stage}")


def validate_field_specs(specs: list[dict[str, Any]], *, field: str = "required_fields") -> None:
    """A category's own fields as intake reads them: a code and a name each; a number field's `min` and
    `max` numbers (not text: a bound "0" would fail every report of the category) in order, `integer` a
    yes/no."""
    for i, spec in enumerate(specs):
        where = f"{field}[{i}]"
        if not isinstance(spec, dict) or not spec.get("code") or not spec.get("name"):
            raise Invalid("每项须有 code 和 name / each field needs a code and a name", field=where, code=_SPEC)
        for bound in ("min", "max"):
            value = spec.get(bound)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise Invalid(f"{bound} 须为数字 / {bound} must be a number", field=f"{where}.{bound}", code=_SPEC)
        if not isinstance(spec.get("integer", False), bool):
            raise Invalid("integer 须为 true 或 false / integer is true or false", field=f"{where}.integer", code=_SPEC)
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None and low > high:
            raise Invalid("min 不能大于 max / min is above max", field=f"{where}.min", code=_SPEC)


_SPEC = "category.invalid_field_spec"


def update_category(session: Session, actor: Actor, category: Category, changes: dict[str, Any]) -> Category:
    _require_admin(actor)
    if "deadlines" in changes:
        validate_deadlines(changes["deadlines"])
    if "required_fields" in changes:
        validate_field_specs(changes["required_fields"])
    before = {k: getattr(category, k) for k in changes}
    for key, value in changes.items():
        setattr(category, key, value)
    audit.record(session, actor, "events.category_updated", category, before=before, after=changes)
    invalidate()
    return category


def set_duty(
    session: Session,
    actor: Actor,
    *,
    category: Category,
    unit: OrgUnit | None,
    level: str,
    assignee: str,
    department_code: str | None,
    note: str = "",
) -> Duty:
    """Create or replace the duty for (category, unit); unit None sets the default for everywhere."""
    _require_admin(actor)
    if level not in DUTY_LEVELS:
        raise Invalid(
            "层级须为 street、district 或 city / level must be street, district or city",
            field="level",
            code="event.invalid_level",
        )
    if assignee not in ("centre", "department"):
        raise Invalid("assignee 须为 centre 或 department", field="assignee", code="event.invalid_assignee")
    if assignee == "department" and not department_code:
        raise Invalid(
            "部门职责须给出部门代码 / department_code is required",
            field="department_code",
            code="event.invalid_department_code",
        )
    if assignee == "department" and level == OrgLevel.street:
        raise Invalid(
            "镇街一级没有部门 / streets have no departments; use level district",
            field="level",
            code="event.invalid_level",
        )
    unit_id = unit.id if unit else None
    duty = session.scalars(
        select(Duty).where(
            Duty.category_id == category.id, Duty.unit_id.is_(None) if unit_id is None else Duty.unit_id == unit_id
        )
    ).one_or_none()
    if duty is None:
        duty = Duty(
            category_id=category.id,
            unit_id=unit_id,
            level=level,
            assignee=assignee,
            department_code=department_code if assignee == "department" else None,
            note=note,
        )
        session.add(duty)
    else:
        duty.level, duty.assignee, duty.note = level, assignee, note
        duty.department_code = department_code if assignee == "department" else None
    session.flush()
    audit.record(
        session,
        actor,
        "events.duty_set",
        duty,
        category=category.code,
        unit_id=unit_id,
        level=level,
        assignee=assignee,
        department_code=department_code,
    )
    invalidate()
    return duty


DUTY_CSV_FIELDS = ("category", "unit_code", "level", "assignee", "department_code", "note")


def export_duties_csv(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DUTY_CSV_FIELDS)
    rows = session.execute(
        select(Category.code, OrgUnit.code, Duty.level, Duty.assignee, Duty.department_code, Duty.note)
        .join(Category, Category.id == Duty.category_id)
        .outerjoin(OrgUnit, OrgUnit.id == Duty.unit_id)
        .order_by(Category.code, OrgUnit.code)
    ).all()
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def import_duties_csv(session: Session, actor: Actor, text: str) -> tuple[int, list[dict[str, Any]]]:
    """Apply a duty CSV; good rows are applied, bad rows reported with row number, field and reason."""
    _require_admin(actor)
    columns, rows = bodies.csv_dicts(text, field="body", code="catalogue.invalid_csv")
    missing = [f for f in ("category", "level", "assignee") if f not in columns]
    if missing:
        raise Invalid(
            f"CSV 缺少列 / CSV lacks column {missing[0]}", field=missing[0], code="catalogue.csv_missing_column"
        )
    applied, errors = 0, []
    for n, row in enumerate(rows, start=2):
        try:
            cat = session.scalars(select(Category).where(Category.code == (row.get("category") or "").strip())).first()
            if cat is None:
                raise Invalid("未知事项分类 / unknown category", field="category", code="event.invalid_category")
            unit = None
            if (row.get("unit_code") or "").strip():
                unit = session.scalars(select(OrgUnit).where(OrgUnit.code == row["unit_code"].strip())).first()
                if unit is None:
                    raise Invalid("未知单位代码 / unknown unit_code", field="unit_code", code="event.invalid_unit_code")
            with session.begin_nested():
                set_duty(
                    session,
                    actor,
                    category=cat,
                    unit=unit,
                    level=(row.get("level") or "").strip(),
                    assignee=(row.get("assignee") or "").strip(),
                    department_code=(row.get("department_code") or "").strip() or None,
                    note=(row.get("note") or "").strip(),
                )
            applied += 1
        except Invalid as exc:
            errors.append({"row": n, "field": exc.data.get("field", ""), "reason": exc.detail})
    return applied, errors


# Used when a category names no deadline for a stage.
DEFAULT_DEADLINES = {"accept": "2h", "sign": "4h", "handle": "3wd", "verify": "1wd"}


def stage_deadline(
    cat: CategoryView,
    severity: str,
    stage: str | None,
    start: datetime,
    cal: WorkCalendar,
    memo: dict[tuple[str, datetime], datetime] | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(due_at, warn_at at 80% of the allowed time) for a stage starting at `start`."""
    if stage is None:
        return None, None
    spec = (cat.deadlines.get(severity) or {}).get(stage) or DEFAULT_DEADLINES[stage]
    key = (spec, start)
    due = memo.get(key) if memo is not None else None
    if due is None:
        due = cal.add(start, parse_duration(spec))
        if memo is not None:
            memo[key] = due
    return due, start + (due - start) * 0.8
