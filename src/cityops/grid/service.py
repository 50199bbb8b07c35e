"""Grids and grid workers: access (scoped), the grid's record in versions (imports: grid/grid_import.py),
assignments of grid workers (专职/兼职, shift, contact), the roster and coverage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from shapely.geometry import shape
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.auth import User
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound
from cityops.events.calendar import CST
from cityops.grid.models import EMPLOYMENT_NAMES, KIND_NAMES, Employment, Grid, GridAssignment, GridKind
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit

GRID_ADMINS = (Role.dispatcher, Role.leader, Role.sysadmin)
KIND_BY_LABEL = {**{v: k for k, v in KIND_NAMES.items()}, **{k: k for k in KIND_NAMES}}
EMPLOYMENT_BY_LABEL = {**{v: k for k, v in EMPLOYMENT_NAMES.items()}, **{k: k for k in EMPLOYMENT_NAMES}}


class GridNotFound(NotFound):
    message = "网格不存在 / Grid not found."


class _Placed(Protocol):
    @property
    def unit_path(self) -> str: ...


PlacedRow = TypeVar("PlacedRow", bound=_Placed)


def get_in_subtree(session: Session, actor: Actor, model: type[PlacedRow], row_id: int, missing: NotFound) -> PlacedRow:
    """The row of `model` with this id if its `unit_path` lies in the actor's subtree; else `missing` is
    raised, so a row that is absent and one the actor may not see get the same 404."""
    row = session.get(model, row_id)
    if row is None or not actor.sees_path(row.unit_path):
        raise missing
    return row


def require_admin(actor: Actor) -> None:
    if not actor.has(*GRID_ADMINS) or not actor.unit_path:
        raise Forbidden(
            "仅中心值班员、领导或系统管理员可管理网格 / only centre staff manage grids", code="grid.admin_only"
        )


# -- grids ------------------------------------------------------------------------------------------------
def access_grid(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """A current grid unit in the actor's subtree; 404 for absent and for not yours alike."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None or unit.level != OrgLevel.grid or unit.valid_to is not None or not actor.sees_path(unit.path):
        raise GridNotFound(grid_id=unit_id)
    return unit


def current_record(session: Session, unit_id: int) -> Grid | None:
    return session.scalars(select(Grid).where(Grid.unit_id == unit_id, Grid.valid_to.is_(None))).one_or_none()


def list_grids(session: Session, actor: Actor, *, within: OrgUnit | None = None) -> AnySelect:
    """(grid unit, its current record or None) in the actor's subtree; generated grids have no record yet."""
    stmt = (
        select(OrgUnit, Grid)
        .outerjoin(Grid, and_(Grid.unit_id == OrgUnit.id, Grid.valid_to.is_(None)))
        .where(OrgUnit.level == OrgLevel.grid, OrgUnit.valid_to.is_(None))
    )
    stmt = org.scoped(stmt, OrgUnit.path, actor)
    if within is not None:
        stmt = stmt.where(org.in_subtree(OrgUnit.path, within.path))
    return stmt.order_by(OrgUnit.code, OrgUnit.id)


def grid_view(unit: OrgUnit, record: Grid | None) -> dict[str, Any]:
    kind = record.kind if record else GridKind.comprehensive
    return {
        "id": unit.id,
        "code": unit.code or "",
        "name": record.name if record else unit.name,
        "kind": kind,
        "kind_name": KIND_NAMES[kind],
        "dedicated_type": record.dedicated_type if record else "",
        "has_polygon": bool(record and record.geojson),
        "generated": record.generated if record else unit.generated,
        "version": record.version if record else 0,
        "valid_from": record.valid_from if record else unit.valid_from,
        "community_id": unit.parent_id,
    }


@dataclass
class GridInput:
    community_code: str
    seq: int
    name: str = ""
    kind: str = GridKind.comprehensive
    dedicated_type: str = ""
    geojson: dict[str, Any] | None = None
    source: str = ""
    valid_from: datetime | None = None  # when the new version took effect (default now; never in the future)


def _check_polygon(geometry: dict[str, Any]) -> str:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise Invalid(
            "网格边界须为 Polygon 或 MultiPolygon / geometry must be a Polygon",
            field="geometry",
            code="grid.invalid_geometry",
        )
    try:
        geom = shape(geometry)
    except Exception:  # shapely raises several kinds (GEOSException, ValueError …) on bad coordinates
        raise Invalid(
            "网格边界坐标无效 / the geometry's coordinates are invalid", field="geometry", code="grid.invalid_geometry"
        ) from None
    if geom.is_empty or not geom.is_valid:
        raise Invalid(
            "网格边界自相交或为空 / the polygon is empty or self-intersecting",
            field="geometry",
            code="grid.invalid_geometry",
        )
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid(
            "网格边界经纬度超出范围 / coordinates out of range", field="geometry", code="grid.invalid_geometry"
        )
    return json.dumps(geometry, separators=(",", ":"))


def upsert_grid(session: Session, actor: Actor, data: GridInput) -> tuple[OrgUnit, Grid, bool]:
    """Create the grid (org unit + record) or write a new version of its record; (unit, record, changed)."""
    require_admin(actor)
    community = org.get_by_code(session, data.community_code.strip())
    if community is None or community.level != OrgLevel.community or not actor.sees_path(community.path):
        raise Invalid(
            "村社代码不存在或不在您的辖区 / unknown community code",
            field="community_code",
            code="grid.invalid_community_code",
        )
    if not 1 <= data.seq <= 999:
        raise Invalid("网格序号须为1-999 / seq must be 1-999", field="seq", code="grid.invalid_seq")
    kind = KIND_BY_LABEL.get(data.kind.strip() or GridKind.comprehensive)
    if kind is None:
        raise Invalid(
            "网格类型须为综合网格或专属网格 / kind must be 综合网格 or 专属网格", field="kind", code="grid.invalid_kind"
        )
    if kind == GridKind.dedicated and not data.dedicated_type.strip():
        raise Invalid(
            "专属网格须写明类型（如学校、市场）/ a dedicated grid names its type",
            field="dedicated_type",
            code="grid.invalid_dedicated_type",
        )
    polygon = _check_polygon(data.geojson) if data.geojson is not None else None
    code = f"{community.code}G{data.seq:02d}"
    name = data.name.strip()[:80] or f"第{data.seq}网格"
    unit = org.get_by_code(session, code)
    if unit is None:
        unit = org.add_grid_unit(session, actor, community, code=code, name=name)
    old = current_record(session, unit.id)
    if old is not None and polygon is None:
        polygon = old.geojson  # a CSV row changes attributes; the imported boundary stays
    fields = (name, kind, data.dedicated_type.strip()[:40], polygon)
    if old is not None and (old.name, old.kind, old.dedicated_type, old.geojson) == fields:
        return unit, old, False
    now = _valid_from(data, old)
    if old is not None:
        old.valid_to = now
    record = Grid(
        unit_id=unit.id,
        unit_path=unit.path,
        code=code,
        name=name,
        kind=kind,
        dedicated_type=fields[2],
        geojson=polygon,
        generated=False,
        version=(old.version + 1) if old else 1,
        valid_from=now,
        valid_to=None,
        source=data.source[:80],
        changed_by=actor.username,
    )
    session.add(record)
    if unit.name != name:
        unit.name, unit.short_name = name, name[:40]
    session.flush()
    audit.record(session, actor, "grid.saved", unit, version=record.version, kind=kind, polygon=polygon is not None)
    return unit, record, True


def _valid_from(data: GridInput, old: Grid | None) -> datetime:
    now = clock.now()
    at = data.valid_from or now
    if at.tzinfo is None:  # a date-time without an offset is read as China time, as the pages show it
        at = at.replace(tzinfo=CST)
    if at > now:
        raise Invalid(
            "生效时间不能晚于现在 / valid-from cannot be in the future",
            field="valid_from",
            code="grid.invalid_valid_from",
        )
    if old is not None and at < old.valid_from:
        raise Invalid(
            "生效时间不能早于上一版本 / valid-from precedes the previous version",
            field="valid_from",
            code="grid.invalid_valid_from",
        )
    return at


def history(session: Session, unit: OrgUnit) -> list[Grid]:
    return list(session.scalars(select(Grid).where(Grid.unit_id == unit.id).order_by(Grid.version)))


# -- grid workers -------------------------------------------------------------------------------------------
class AssignmentNotFound(NotFound):
    message = "网格员任职记录不存在 / Grid worker assignment not found."


@dataclass
class AssignmentInput:
    user_id: int
    employment: str = Employment.full_time
    shift: str = ""
    phone: str = ""


def assign_worker(session: Session, actor: Actor, grid: OrgUnit, data: AssignmentInput) -> GridAssignment:
    require_admin(actor)
    user = session.get(User, data.user_id)
    if user is None or Role.grid_worker not in user.role_set:
        raise Invalid(
            "该用户不是网格员 / the user does not hold the grid_worker role",
            field="user_id",
            code="grid.invalid_user_id",
        )
    home = session.get(OrgUnit, user.unit_id) if user.unit_id else None
    if home is None or not actor.sees_path(home.path):
        raise Invalid(
            "该网格员不属于您的辖区 / the grid worker is not in your jurisdiction",
            field="user_id",
            code="grid.invalid_user_id",
        )
    employment = EMPLOYMENT_BY_LABEL.get(data.employment.strip())
    if employment is None:
        raise Invalid(
            "任职方式须为专职或兼职 / employment must be 专职 or 兼职",
            field="employment",
            code="grid.invalid_employment",
        )
    phone = data.phone.strip()
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
        raise Invalid("联系电话格式不正确 / phone is not a phone number", field="phone", code="grid.invalid_phone")
    row = session.scalars(
        select(GridAssignment).where(GridAssignment.grid_unit_id == grid.id, GridAssignment.user_id == user.id)
    ).one_or_none()
    if row is not None and row.active:
        raise Conflict("该网格员已在此网格任职 / already assigned to this grid", code="grid.already_assigned")
    now = clock.now()
    if row is None:
        row = GridAssignment(grid_unit_id=grid.id, unit_path=grid.path, user_id=user.id, assigned_at=now)
        session.add(row)
    row.employment, row.shift, row.phone = employment, data.shift.strip()[:60], phone
    row.active, row.ended_at, row.assigned_at = True, None, now
    session.flush()
    audit.record(session, actor, "grid.worker_assigned", row, grid=grid.code, user_id=user.id, employment=employment)
    return row


def access_assignment(session: Session, actor: Actor, assignment_id: int) -> GridAssignment:
    return get_in_subtree(
        session, actor, GridAssignment, assignment_id, AssignmentNotFound(assignment_id=assignment_id)
    )


def end_assignment(session: Session, actor: Actor, row: GridAssignment) -> GridAssignment:
    require_admin(actor)
    if not row.active:
        raise Conflict("任职已结束 / the assignment already ended", code="grid.assignment_ended")
    row.active, row.ended_at = False, clock.now()
    audit.record(session, actor, "grid.worker_unassigned", row, user_id=row.user_id)
    return row


def my_grids(session: Session, actor: Actor) -> list[OrgUnit]:
    """The grids the acting grid worker is assigned to now."""
    if actor.user_id is None:
        return []
    stmt = (
        select(OrgUnit)
        .join(GridAssignment, GridAssignment.grid_unit_id == OrgUnit.id)
        .where(GridAssignment.user_id == actor.user_id, GridAssignment.active.is_(True), OrgUnit.valid_to.is_(None))
    )
    return list(session.scalars(stmt.order_by(OrgUnit.code)))


def roster(session: Session, actor: Actor, *, within: OrgUnit | None = None) -> list[dict[str, Any]]:
    """Active assignments in the actor's subtree: who covers which grid, how, when and how to reach them."""
    stmt = (
        select(GridAssignment, User.display_name, User.username, OrgUnit.name, OrgUnit.code)
        .join(User, User.id == GridAssignment.user_id)
        .join(OrgUnit, OrgUnit.id == GridAssignment.grid_unit_id)
        .where(GridAssignment.active.is_(True))
    )
    stmt = org.scoped(stmt, GridAssignment.unit_path, actor)
    if within is not None:
        stmt = stmt.where(org.in_subtree(GridAssignment.unit_path, within.path))
    return [
        {
            "id": a.id,
            "grid_id": a.grid_unit_id,
            "grid_code": code or "",
            "grid_name": gname,
            "user_id": a.user_id,
            "name": display,
            "username": username,
            "employment": a.employment,
            "employment_name": EMPLOYMENT_NAMES.get(a.employment, a.employment),
            "shift": a.shift,
            "phone": a.phone,
            "assigned_at": a.assigned_at,
        }
        for a, display, username, gname, code in session.execute(stmt.order_by(OrgUnit.code, User.username))
    ]


def coverage(session: Session, actor: Actor, *, within: OrgUnit | None = None) -> dict[str, Any]:
    """How many grids in the subtree have at least one active grid worker (专职 counted apart)."""
    grids = session.execute(list_grids(session, actor, within=within)).all()
    counts: dict[int, dict[str, int]] = {}
    stmt = org.scoped(
        select(GridAssignment.grid_unit_id, GridAssignment.employment, func.count())
        .where(GridAssignment.active.is_(True))
        .group_by(GridAssignment.grid_unit_id, GridAssignment.employment),
        GridAssignment.unit_path,
        actor,
    )
    for gid, employment, n in session.execute(stmt):
        counts.setdefault(gid, {})[employment] = int(n)
    covered = [u for u, _ in grids if counts.get(u.id)]
    full_time = [u for u, _ in grids if counts.get(u.id, {}).get(Employment.full_time)]
    uncovered = [grid_view(u, r) for u, r in grids if not counts.get(u.id)]
    return {
        "grids": len(grids),
        "covered": len(covered),
        "with_full_time": len(full_time),
        "uncovered": uncovered[:200],
    }
