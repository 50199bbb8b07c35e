"""Routing: category × location -> who dispatches and who handles, by the duty lists, with the reason.

A `RoutingContext` holds the org units, departments and duties in memory so a batch of thousands
of events routes without a query per event.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.cache import VersionedCache
from cityops.events.catalogue import CatalogueView, CategoryView, DutyView
from cityops.org.models import Department, OrgLevel, OrgUnit
from cityops.org.service import org_signature

LEVEL_LABEL = {"city": "市级", "district": "区县级", "street": "镇街级"}


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    level: str
    path: str
    code: str = ""

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


@dataclass(frozen=True)
class Route:
    dispatcher_unit_id: int  # the centre that accepts and dispatches
    owner_unit_id: int  # the unit that handles (a centre's unit, or the unit a department belongs to)
    owner_path: str
    owner_department_id: int | None
    owner_name: str
    reason: str


@dataclass
class RoutingContext:
    signature: Hashable
    units: dict[int, UnitInfo] = field(default_factory=dict)
    departments: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)  # (unit, code) -> (id, name)
    codes: dict[str, int] = field(default_factory=dict)  # unit code -> id (units in force)
    unit_names: dict[int, str] = field(default_factory=dict)
    department_names: dict[int, str] = field(default_factory=dict)
    _chains: dict[int, list[UnitInfo]] = field(default_factory=dict)
    _children: dict[int, list[UnitInfo]] | None = None
    _departments_of: dict[int, list[tuple[int, str]]] | None = None

    def children(self, unit_id: int) -> list[UnitInfo]:
        """The units in force directly under `unit_id`, by code (as the org tree lists them)."""
        if self._children is None:
            by_parent: dict[int, list[UnitInfo]] = {}
            for u in self.units.values():
                ids = u.ancestor_ids()
                if len(ids) > 1:
                    by_parent.setdefault(ids[-2], []).append(u)
            for kids in by_parent.values():
                kids.sort(key=lambda u: (u.code, u.id))
            self._children = by_parent
        return self._children.get(unit_id, [])

    def departments_of(self, unit_id: int) -> list[tuple[int, str]]:
        """(id, name) of the unit's departments, by id."""
        if self._departments_of is None:
            by_unit: dict[int, list[tuple[int, str]]] = {}
            for (owner, _code), dept in self.departments.items():
                by_unit.setdefault(owner, []).append(dept)
            for depts in by_unit.values():
                depts.sort()
            self._departments_of = by_unit
        return self._departments_of.get(unit_id, [])

    def unit(self, unit_id: int) -> UnitInfo:
        return self.units[unit_id]

    def chain(self, unit: UnitInfo) -> list[UnitInfo]:
        found = self._chains.get(unit.id)
        if found is None:
            found = self._chains[unit.id] = [self.units[i] for i in unit.ancestor_ids() if i in self.units]
        return found

    def lowest_common(self, units: list[UnitInfo]) -> UnitInfo:
        """The deepest unit whose subtree holds all of `units` (cross-jurisdiction events)."""
        chains = [u.ancestor_ids() for u in units]
        common: list[int] = []
        for ids in zip(*chains, strict=False):
            if len(set(ids)) != 1:
                break
            common.append(ids[0])
        return self.units[common[-1]]


def _build(session: Session, sig: Hashable) -> RoutingContext:
    ctx = RoutingContext(signature=sig)
    rows = session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.level, OrgUnit.path, OrgUnit.code).where(OrgUnit.valid_to.is_(None))
    )
    for uid, name, level, path, code in rows:
        ctx.units[uid] = UnitInfo(uid, name, level, path, code or "")
        ctx.unit_names[uid] = name
        if code:
            ctx.codes[code] = uid
    for did, unit_id, code, name in session.execute(
        select(Department.id, Department.unit_id, Department.code, Department.name)
    ):
        ctx.departments[(unit_id, code)] = (did, name)
        ctx.department_names[did] = name
    return ctx


_CACHE: VersionedCache[RoutingContext] = VersionedCache(org_signature, _build)


def context(session: Session) -> RoutingContext:
    return _CACHE.get(session)


def _duty_for(catalogue: CatalogueView, category: CategoryView, chain: list[UnitInfo]) -> DutyView | None:
    for unit in reversed(chain):  # the most specific unit-level entry wins
        duty = catalogue.duties.get((category.id, unit.id))
        if duty is not None:
            return duty
    return catalogue.duties.get((category.id, None))


def route(ctx: RoutingContext, catalogue: CatalogueView, category: CategoryView, location: UnitInfo) -> Route:
    chain = ctx.chain(location)
    by_level = {u.level: u for u in chain}
    duty = _duty_for(catalogue, category, chain)
    notes: list[str] = []
    if duty is None:
        level, assignee, dept_code = OrgLevel.street.value, "centre", None
        notes.append("职责清单无此事项，按属地交镇街 / no duty entry: the street of the location handles it")
    else:
        level, assignee, dept_code = duty.level, duty.assignee, duty.department_code
        notes.append(
            f"依据{'本地专项' if duty.specific else '默认'}职责清单 / by the "
            f"{'unit-specific' if duty.specific else 'default'} duty list"
            + (f"（{duty.note}）" if duty.note and duty.specific else "")
        )
    target = by_level.get(level)
    if target is None:  # located less precisely than the duty's level: the lowest centre above it
        target = next(
            u
            for u in reversed(chain)
            if u.level in (OrgLevel.district, OrgLevel.street, OrgLevel.city) and _depth(u.level) <= _depth(level)
        )
        notes.append(f"位置仅定位到{target.name}，由其承接 / location only known to {target.name}")
    if assignee == "department" and dept_code:
        dept = ctx.departments.get((target.id, dept_code))
        if dept is not None:
            return Route(
                target.id, target.id, target.path, dept[0], dept[1], f"{category.name} → {dept[1]}；" + "；".join(notes)
            )
        notes.append(f"{target.name}未设{dept_code}部门，由中心承办 / no such department at {target.name}")
    centre_name = f"{target.name}治理中心"
    return Route(
        target.id,
        target.id,
        target.path,
        None,
        centre_name,
        f"{category.name} → {centre_name}（{LEVEL_LABEL.get(target.level, '')}）；" + "；".join(notes),
    )


def _depth(level: str) -> int:
    return {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}[level]
