"""Org services: jurisdiction scoping, unit access, search, departments, centres, unit changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session

from cityops.core import audit, auth, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.core.hooks import UnitChanged, hooks_of
from cityops.core.paths import in_subtree as in_subtree  # re-exported: domains scope with org.in_subtree
from cityops.core.paths import replace_unit as replace_unit
from cityops.core.paths import rewrite_paths as rewrite_paths
from cityops.org.models import CENTRE_LEVELS, LEVEL_DEPTH, Centre, Department, OrgLevel, OrgUnit, UnitChange
from cityops.org.naming import strip_suffix


class UnitNotFound(NotFound):
    message = "单位不存在 / Org unit not found."
    default_code = "org.unit_not_found"


# -- scoping ---------------------------------------------------------------------------------------
def scoped(stmt: AnySelect, path_col: Any, actor: Actor) -> AnySelect:
    """Filter any statement to the actor's subtree (no jurisdiction -> nothing)."""
    return stmt.where(in_subtree(path_col, actor.unit_path))


def in_subtree_or_department(path_col: Any, department_col: Any, actor: Actor) -> Any:
    """Rows the actor sees by place (`path_col` in the actor's subtree) or, for a department's staff, by
    owner (`department_col` is the actor's department), wherever they lie."""
    clauses = [in_subtree(path_col, actor.unit_path)]
    if actor.department_id is not None:
        clauses.append(department_col == actor.department_id)
    return or_(*clauses)


def access_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """The unit if it lies in the actor's subtree; 404 otherwise (same answer for absent and not yours)."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not actor.sees_path(unit.path):
        raise UnitNotFound(unit_id=unit_id)
    return unit


def unit_path_and_level(session: Session, unit_id: int) -> tuple[str, str]:
    """What core.auth needs to build an actor's jurisdiction (installed as `Hooks.unit_lookup`)."""
    unit = session.get(OrgUnit, unit_id)
    return ("", "") if unit is None else (unit.path, unit.level)


def org_signature(session: Session) -> tuple[int, int, int]:
    """Changes whenever units are added or changed (caches of the tree compare it, every few seconds in
    every process): the newest unit, the newest recorded change and how many changes there are. Units are
    never deleted (a merged or retired unit keeps its row with `valid_to`) and every change writes a
    `UnitChange`, so this is an index lookup and a count of a small table, where counting the 24,000 units
    of Chongqing's tree each time was not. The count is there because ids are not handed out in commit
    order on PostgreSQL: a change that commits after a later-numbered one leaves the newest id as it was."""
    top = session.scalar(select(func.max(OrgUnit.id))) or 0
    newest, changes = session.execute(select(func.max(UnitChange.id), func.count(UnitChange.id))).one()
    return int(top), int(newest or 0), int(changes)


def _changed() -> None:
    """Drop this process's caches of the tree at once (other processes notice within their TTL)."""
    from cityops.core.cache import invalidate_all

    invalidate_all()


# -- reading -----------------------------------------------------------------------------------------
def city(session: Session) -> OrgUnit | None:
    return session.scalars(select(OrgUnit).where(OrgUnit.level == OrgLevel.city)).first()


def get_by_code(session: Session, code: str) -> OrgUnit | None:
    return session.scalars(select(OrgUnit).where(OrgUnit.code == code)).one_or_none()


def list_children(session: Session, actor: Actor, unit: OrgUnit) -> AnySelect:
    stmt = select(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.valid_to.is_(None))
    return scoped(stmt, OrgUnit.path, actor).order_by(OrgUnit.code, OrgUnit.id)


def search_units(session: Session, actor: Actor, *, q: str = "", level: str | None = None) -> AnySelect:
    stmt = select(OrgUnit).where(OrgUnit.valid_to.is_(None))
    if q:
        stmt = stmt.where(or_(OrgUnit.name.contains(q, autoescape=True), OrgUnit.code.startswith(q, autoescape=True)))
    if level:
        stmt = stmt.where(OrgUnit.level == level)
    return scoped(stmt, OrgUnit.path, actor).order_by(OrgUnit.path)


def ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    found = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def counts_by_level(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OrgUnit.level, func.count()).where(OrgUnit.valid_to.is_(None)).group_by(OrgUnit.level)
    ).all()
    return {level: int(n) for level, n in rows}


def centre_counts(session: Session) -> dict[str, int]:
    return {level: int(n) for level, n in session.execute(select(Centre.level, func.count()).group_by(Centre.level))}


def list_departments(session: Session, actor: Actor, *, unit_id: int | None = None) -> AnySelect:
    """Departments serving units the actor can see, or those above the actor (a street deals with its district's)."""
    visible = or_(
        in_subtree(Department.unit_path, actor.unit_path),
        literal(actor.unit_path).startswith(Department.unit_path),
    )
    stmt = select(Department).where(visible)
    if unit_id is not None:
        stmt = stmt.where(Department.unit_id == unit_id)
    return stmt.order_by(Department.unit_path, Department.code)


def access_department(session: Session, actor: Actor, department_id: int) -> Department:
    found: Department = one_or_raise(
        session,
        list_departments(session, actor).where(Department.id == department_id),
        NotFound("部门不存在 / Department not found.", department_id=department_id, code="org.department_not_found"),
    )
    return found


def centre_units_on(session: Session, path: str) -> dict[str, OrgUnit]:
    """The city, district and street units on a path, by level (the centres that answer for a place)."""
    return {u.level: u for u in ancestors(session, OrgUnit(path=path)) if u.level in CENTRE_LEVELS}


def centre_unit_above(session: Session, unit_id: int) -> OrgUnit | None:
    """The nearest city/district/street unit strictly above a unit: where escalation from it goes."""
    unit = session.get(OrgUnit, unit_id)
    while unit is not None and unit.parent_id is not None:
        unit = session.get(OrgUnit, unit.parent_id)
        if unit is not None and unit.level in CENTRE_LEVELS:
            return unit
    return None


def centre_for(session: Session, unit: OrgUnit) -> Centre | None:
    """The governance centre responsible for a unit: its own, or the nearest one above it."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    rows = {c.unit_id: c for c in session.scalars(select(Centre).where(Centre.unit_id.in_(ids)))}
    for unit_id in reversed(ids):
        if unit_id in rows:
            return rows[unit_id]
    return None


# -- changes with history ------------------------------------------------------------------------------
# A change rewrites the org tree's own rows (units, departments, users' units through core.auth), then tells
# every domain through its unit-change hook (`Hooks.on_unit_changed`) in the same transaction: each domain
# rewrites its own cached paths, re-keys its own counters and writes its own timeline.


def _tell_domains(session: Session, actor: Actor, change: UnitChanged) -> None:
    for old, new in change.moves:
        rewrite_paths(session, Department.unit_path, old, new)
    for retired_id, successor_id, _ in change.merged:
        replace_unit(session, Department.unit_id, retired_id, successor_id)
        auth.reassign_unit(session, retired_id, successor_id)
    for _, fn in hooks_of(session).unit_changed:
        fn(session, actor, change)
    session.expire_all()


def _require_admin(actor: Actor) -> None:
    if not actor.has(Role.sysadmin):
        raise Forbidden("仅系统管理员可调整区划 / Only a sysadmin may change org units.", code="org.sysadmin_required")


def _history(
    session: Session, actor: Actor, kind: str, unit: OrgUnit, other: OrgUnit | None = None, **data: Any
) -> None:
    session.add(
        UnitChange(
            at=clock.now(),
            kind=kind,
            unit_id=unit.id,
            other_unit_id=other.id if other else None,
            data=data,
            actor_name=actor.username,
        )
    )
    audit.record(session, actor, f"org.{kind}", unit, other_unit_id=other.id if other else None, **data)
    _changed()


def rename(session: Session, actor: Actor, unit: OrgUnit, name: str) -> OrgUnit:
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise Invalid("名称不能为空 / Name is required.", field="name", code="org.invalid_name")
    old = unit.name
    unit.name, unit.short_name = name, strip_suffix(name)
    _history(session, actor, "rename", unit, old_name=old, new_name=name)
    return unit


def _repath_units(session: Session, old_prefix: str, new_prefix: str) -> None:
    rewrite_paths(session, OrgUnit.path, old_prefix, new_prefix)
    session.expire_all()


def move(session: Session, actor: Actor, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a unit (and its subtree) under another parent one level up, e.g. a street into a special zone."""
    _require_admin(actor)
    if LEVEL_DEPTH[OrgLevel(new_parent.level)] != LEVEL_DEPTH[OrgLevel(unit.level)] - 1:
        raise Invalid(
            "上级单位层级不符 / The new parent must be exactly one level above.",
            field="parent_id",
            code="org.invalid_parent_id",
        )
    if new_parent.path.startswith(unit.path):
        raise Invalid(
            "不能移入自身下级 / Cannot move a unit under itself.", field="parent_id", code="org.invalid_parent_id"
        )
    old_parent_id, old_path, unit_id = unit.parent_id, unit.path, unit.id
    new_path = f"{new_parent.path}{unit.id}/"
    session.execute(update(OrgUnit).where(OrgUnit.id == unit_id).values(parent_id=new_parent.id))
    _repath_units(session, old_path, new_path)
    _tell_domains(session, actor, UnitChanged("move", moves=((old_path, new_path),)))
    moved = session.get(OrgUnit, unit_id)
    assert moved is not None
    _history(
        session,
        actor,
        "move",
        moved,
        new_parent,
        old_parent_id=old_parent_id,
        old_path=old_path,
        new_path=new_path,
    )
    return moved


def merge(session: Session, actor: Actor, source: OrgUnit, target: OrgUnit) -> OrgUnit:
    """Merge `source` into `target` (same level): children and every reference follow the target."""
    _require_admin(actor)
    if source.id == target.id or source.level != target.level:
        raise Invalid(
            "只能合并同级的两个不同单位 / Merge needs two different units of the same level.",
            field="target_id",
            code="org.invalid_target_id",
        )
    if source.valid_to is not None or target.valid_to is not None:
        raise Conflict("单位已撤销 / One of the units is no longer current.", code="org.unit_retired")
    source_id, target_id, source_path = source.id, target.id, source.path
    children = list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id == source_id, OrgUnit.valid_to.is_(None))))
    moves = [_move_quietly(session, child, target) for child in children]
    target = session.get(OrgUnit, target_id)  # type: ignore[assignment]
    # What still lies under the retired unit's path (its own rows) follows the successor too.
    moves.append((source_path, target.path))
    session.execute(update(OrgUnit).where(OrgUnit.id == source_id).values(valid_to=clock.now(), successor_id=target_id))
    _tell_domains(
        session, actor, UnitChanged("merge", moves=tuple(moves), merged=((source_id, target_id, target.path),))
    )
    merged = session.get(OrgUnit, source_id)
    assert merged is not None
    _history(session, actor, "merge", merged, target, children_moved=len(children))
    return target


def _move_quietly(session: Session, unit: OrgUnit, new_parent: OrgUnit) -> tuple[str, str]:
    """Move a unit's subtree without telling the domains; returns (old path, new path) to tell them."""
    old_path, unit_id = unit.path, unit.id
    new_path = f"{new_parent.path}{unit_id}/"
    session.execute(update(OrgUnit).where(OrgUnit.id == unit_id).values(parent_id=new_parent.id))
    _repath_units(session, old_path, new_path)
    return old_path, new_path


def split(
    session: Session,
    actor: Actor,
    source: OrgUnit,
    *,
    name: str,
    child_ids: list[int],
    code: str | None = None,
) -> OrgUnit:
    """Create a sibling of `source` named `name` and move the listed children of `source` into it."""
    _require_admin(actor)
    if not name.strip():
        raise Invalid("名称不能为空 / Name is required.", field="name", code="org.invalid_name")
    children = list(session.scalars(select(OrgUnit).where(OrgUnit.id.in_(child_ids))))
    if len(children) != len(set(child_ids)) or any(c.parent_id != source.id for c in children):
        raise Invalid(
            "只能拆分出本单位的直属下级 / child_ids must be direct children of the unit.",
            field="child_ids",
            code="org.invalid_child_ids",
        )
    parent = session.get(OrgUnit, source.parent_id) if source.parent_id else None
    if parent is None:
        raise Invalid("市级单位不能拆分 / The city unit cannot be split.", field="unit_id", code="org.invalid_unit_id")
    new = _add_unit(
        session,
        parent,
        code=code,
        name=name.strip(),
        short_name=strip_suffix(name.strip()),
        level=source.level,
        kind=source.kind,
    )
    if source.level in (OrgLevel.district, OrgLevel.street):
        session.add(
            Centre(
                unit_id=new.id,
                level=source.level,
                name=f"{new.name}数字化城市运行和治理中心",
                state="operating",
            )
        )
    session.flush()
    moves = [_move_quietly(session, child, new) for child in children]
    _tell_domains(session, actor, UnitChanged("split", moves=tuple(moves)))
    source_id, new_id = source.id, new.id
    session.expire_all()
    src, created = session.get(OrgUnit, source_id), session.get(OrgUnit, new_id)
    assert src is not None and created is not None
    _history(session, actor, "split", src, created, children_moved=len(children), new_name=created.name)
    return created


def _add_unit(session: Session, parent: OrgUnit, **fields: Any) -> OrgUnit:
    """A unit made by hand (not generated from the code table) under `parent`. Its path ends with its own
    id, so it is set once the row is flushed."""
    unit = OrgUnit(parent_id=parent.id, path="", generated=False, valid_from=clock.now(), **fields)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path}{unit.id}/"
    return unit


def history(session: Session, unit: OrgUnit) -> list[UnitChange]:
    stmt = select(UnitChange).where(or_(UnitChange.unit_id == unit.id, UnitChange.other_unit_id == unit.id))
    return list(session.scalars(stmt.order_by(UnitChange.at, UnitChange.id)))


def current(session: Session, unit_id: int) -> OrgUnit | None:
    """Follow merges to the unit that took over (open matters follow the successor)."""
    unit = session.get(OrgUnit, unit_id)
    seen = set()
    while unit is not None and unit.successor_id is not None and unit.id not in seen:
        seen.add(unit.id)
        unit = session.get(OrgUnit, unit.successor_id)
    return unit


def add_grid_unit(session: Session, actor: Actor, community: OrgUnit, *, code: str, name: str) -> OrgUnit:
    """A new (not generated) grid under a community, with its history entry. The grid domain checks that
    the actor may manage the community's grids before calling this."""
    if community.level != OrgLevel.community or community.valid_to is not None:
        raise Invalid(
            "网格须建在现行村社之下 / a grid belongs under a current community",
            field="community_code",
            code="org.invalid_community_code",
        )
    if get_by_code(session, code) is not None:
        raise Conflict(f"单位代码已存在 / unit code {code} exists", field="code", code="org.code_taken")
    unit = _add_unit(session, community, code=code, name=name, short_name=name[:40], level=OrgLevel.grid, kind="网格")
    session.flush()
    _history(session, actor, "create", unit, community, code=code, name=name)
    return unit
