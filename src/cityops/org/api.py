"""Org routes: tree browsing, search, departments, centres, map GeoJSON, resolution, unit changes."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, paginate
from cityops.core.schemas import GEOJSON, FeatureCollection
from cityops.org import geo, service
from cityops.org.models import OrgLevel, OrgUnit, UnitGeometry
from cityops.org.schemas import (
    CentreRead,
    DepartmentRead,
    MergeIn,
    MoveIn,
    RenameIn,
    ResolveBatchIn,
    ResolveBatchItem,
    ResolveBatchOut,
    ResolveIn,
    ResolveOut,
    SplitIn,
    UnitChangeRead,
    UnitDetail,
    UnitPage,
    UnitRead,
)

router = APIRouter(prefix="/api/org", tags=["org"], route_class=TransactionalRoute)


def _detail(session: Any, unit: OrgUnit) -> UnitDetail:
    children = session.scalar(select(func.count()).where(OrgUnit.parent_id == unit.id, OrgUnit.valid_to.is_(None)))
    centre = service.centre_for(session, unit)
    return UnitDetail(
        **UnitRead.model_validate(unit).model_dump(),
        ancestors=[UnitRead.model_validate(a) for a in service.ancestors(session, unit)[:-1]],
        children_count=int(children or 0),
        centre=centre.name if centre else None,
        successor_id=unit.successor_id,
    )


@router.get("/tree")
def my_root(session: SessionDep, actor: ActorDep) -> UnitDetail:
    """The root of the caller's jurisdiction, with its child count (browse further via /children)."""
    if actor.unit_id is None:
        raise service.UnitNotFound()
    return _detail(session, service.access_unit(session, actor, actor.unit_id))


@router.get("/units")
def search_units(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    q: Annotated[str, Query(max_length=80, description="name contains, or code starts with")] = "",
    level: Annotated[OrgLevel | None, Query()] = None,
) -> UnitPage:
    """Search units in the caller's subtree by name or NBS code."""
    rows, total = paginate(session, service.search_units(session, actor, q=q, level=level), page)
    return UnitPage.of([UnitRead.model_validate(r) for r in rows], total, page)


@router.get("/units/{unit_id}", responses={404: {"description": "absent or outside your jurisdiction"}})
def get_unit(unit_id: int, session: SessionDep, actor: ActorDep) -> UnitDetail:
    """One unit with its ancestors and centre."""
    return _detail(session, service.access_unit(session, actor, unit_id))


@router.get("/units/{unit_id}/children", responses={404: {"description": "absent or outside your jurisdiction"}})
def list_children(unit_id: int, session: SessionDep, actor: ActorDep, page: PageDep) -> UnitPage:
    """Children of a unit, on demand (the tree is too large to send whole)."""
    unit = service.access_unit(session, actor, unit_id)
    rows, total = paginate(session, service.list_children(session, actor, unit), page)
    return UnitPage.of([UnitRead.model_validate(r) for r in rows], total, page)


@router.get("/units/{unit_id}/history", responses={404: {"description": "absent or outside your jurisdiction"}})
def unit_history(unit_id: int, session: SessionDep, actor: ActorDep) -> list[UnitChangeRead]:
    """Renames, merges, splits and moves of a unit."""
    unit = service.access_unit(session, actor, unit_id)
    return [UnitChangeRead.model_validate(c) for c in service.history(session, unit)]


@router.get("/departments")
def list_departments(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    unit_id: Annotated[int | None, Query()] = None,
) -> list[DepartmentRead]:
    """Departments of the caller's units and of the units above it."""
    rows, _ = paginate(session, service.list_departments(session, actor, unit_id=unit_id), page)
    return [DepartmentRead.model_validate(r) for r in rows]


@router.get("/centres")
def list_centres(
    session: SessionDep, actor: ActorDep, page: PageDep, level: Annotated[OrgLevel | None, Query()] = None
) -> list[CentreRead]:
    """Governance centres in the caller's subtree."""
    from cityops.org.models import Centre

    stmt = select(Centre).join(OrgUnit, OrgUnit.id == Centre.unit_id)
    if level:
        stmt = stmt.where(Centre.level == level)
    rows, _ = paginate(session, service.scoped(stmt, OrgUnit.path, actor).order_by(OrgUnit.path), page)
    return [CentreRead.model_validate(r) for r in rows]


@router.get("/districts.geojson", response_class=JSONResponse, response_model=FeatureCollection, responses=GEOJSON)
def districts_geojson(session: SessionDep, actor: ActorDep) -> JSONResponse:
    """District polygons in the caller's subtree as a GeoJSON FeatureCollection (for the map)."""
    stmt = select(OrgUnit.id, OrgUnit.code, OrgUnit.name, UnitGeometry.geojson).join(
        UnitGeometry, UnitGeometry.unit_id == OrgUnit.id
    )
    features = [
        {
            "type": "Feature",
            "id": uid,
            "properties": {"id": uid, "code": code, "name": name},
            "geometry": json.loads(g),
        }
        for uid, code, name, g in session.execute(service.scoped(stmt, OrgUnit.path, actor))
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")


def _out(r: geo.Resolution) -> ResolveOut:
    return ResolveOut(
        unit_id=r.unit_id,
        level=r.level,
        name=r.name,
        confidence=r.confidence,
        reason=r.reason,
        method=r.method,
        district_id=r.district_id,
        street_id=r.street_id,
        community_id=r.community_id,
        candidates=r.candidates,
    )


@router.post("/resolve", responses={422: {"description": "bad coordinates, empty text, or unresolvable"}})
def resolve(body: ResolveIn, session: SessionDep, _: ActorDep) -> ResolveOut:
    """Resolve a point and/or address text to the deepest org unit, with confidence and reason."""
    return _out(geo.resolve(session, lon=body.lon, lat=body.lat, text=body.text, fallback=body.fallback))


def _item(raw: dict[str, Any], i: int) -> tuple[float | None, float | None, str | None] | Invalid:
    unknown = set(raw) - {"lon", "lat", "text"}
    if unknown:
        return Invalid(f"未知字段 / unknown field {sorted(unknown)[0]}", field=f"items[{i}].{sorted(unknown)[0]}")
    lon, lat, text = raw.get("lon"), raw.get("lat"), raw.get("text")
    for name, v in (("lon", lon), ("lat", lat)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            return Invalid(f"{name} 须为数字 / {name} must be a number", field=f"items[{i}].{name}")
    if text is not None and not isinstance(text, str):
        return Invalid("text 须为字符串 / text must be a string", field=f"items[{i}].text")
    return lon, lat, text


@router.post("/resolve/batch")
def resolve_batch(body: ResolveBatchIn, session: SessionDep, _: ActorDep) -> ResolveBatchOut:
    """Resolve many locations at once; each item reports its own result or error."""
    parsed = [_item(raw, i) for i, raw in enumerate(body.items)]
    good = [(i, p) for i, p in enumerate(parsed) if not isinstance(p, Invalid)]
    results = geo.resolve_many(session, [p for _, p in good], fallback=body.fallback)
    merged: dict[int, geo.Resolution | Invalid] = {i: p for i, p in enumerate(parsed) if isinstance(p, Invalid)}
    merged.update({i: r for (i, _), r in zip(good, results, strict=True)})
    items = []
    for i in range(len(parsed)):
        r = merged[i]
        if isinstance(r, Invalid):
            field = str(r.data.get("field", ""))
            items.append(
                ResolveBatchItem(
                    index=i,
                    ok=False,
                    error={
                        **r.body(),
                        "data": {
                            **r.data,
                            "field": field if field.startswith("items[") else f"items[{i}].{field}",
                        },
                    },
                )
            )
        else:
            items.append(ResolveBatchItem(index=i, ok=True, result=_out(r)))
    ok = sum(1 for it in items if it.ok)
    return ResolveBatchOut(resolved=ok, failed=len(items) - ok, items=items)


@router.post("/units/{unit_id}/rename")
def rename_unit(unit_id: int, body: RenameIn, session: SessionDep, actor: ActorDep) -> UnitRead:
    """Rename a unit (sysadmin), keeping the old name in its history."""
    return UnitRead.model_validate(
        service.rename(session, actor, service.access_unit(session, actor, unit_id), body.name)
    )


@router.post("/units/{unit_id}/move")
def move_unit(unit_id: int, body: MoveIn, session: SessionDep, actor: ActorDep) -> UnitRead:
    """Move a unit under another parent (e.g. a street into 两江新区); its subtree and matters follow."""
    unit = service.access_unit(session, actor, unit_id)
    parent = service.access_unit(session, actor, body.parent_id)
    return UnitRead.model_validate(service.move(session, actor, unit, parent))


@router.post("/units/{unit_id}/merge")
def merge_unit(unit_id: int, body: MergeIn, session: SessionDep, actor: ActorDep) -> UnitRead:
    """Merge this unit into the target; children and open matters follow the target."""
    source = service.access_unit(session, actor, unit_id)
    target = service.access_unit(session, actor, body.target_id)
    return UnitRead.model_validate(service.merge(session, actor, source, target))


@router.post("/units/{unit_id}/split", status_code=201)
def split_unit(unit_id: int, body: SplitIn, session: SessionDep, actor: ActorDep) -> UnitRead:
    """Create a sibling unit and move the listed children into it."""
    source = service.access_unit(session, actor, unit_id)
    return UnitRead.model_validate(
        service.split(session, actor, source, name=body.name, child_ids=body.child_ids, code=body.code)
    )
