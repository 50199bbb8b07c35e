"""The open side of the catalogue: DCAT-AP 3 export (Turtle, JSON-LD) and a read-only CKAN Action API
subset (package_list, package_show, package_search, organization_list) answering in CKAN's
{"success": true, "result": …} shape, so harvesters and ckanapi-style tools can read us.

Anonymous callers get the open part (published, 开放属性 not 不予开放); a logged-in staff user gets the
part of the catalogue they may browse. 不予共享 items never appear."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from cityops.catalog import service, standards
from cityops.catalog.api import base_url
from cityops.catalog.models import CatalogEntry
from cityops.catalog.schemas import CkanNames, CkanOrganizations, CkanPackage, CkanSearch
from cityops.core.deps import OptionalActorDep, SessionDep, TransactionalRoute

router = APIRouter(tags=["catalog-open"], route_class=TransactionalRoute)
DCAT_LIMIT = 5000
TITLE = "重庆市政务信息资源目录（开放部分）"
# CKAN answers errors in its own envelope, not in our ErrorOut shape: document it so.
CKAN_ERROR: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "CKAN error envelope",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["success", "error"],
                    "properties": {
                        "help": {"type": "string"},
                        "success": {"type": "boolean", "enum": [False]},
                        "error": {"type": "object"},
                    },
                }
            }
        },
    }
}


def _open_entries(session: SessionDep) -> list[CatalogEntry]:
    stmt = service.scoped(select(CatalogEntry), None).order_by(CatalogEntry.code).limit(DCAT_LIMIT)
    return list(session.scalars(stmt))


def _graph(request: Request, session: SessionDep) -> list[standards.Node]:
    entries = _open_entries(session)
    items = {e.id: service.visible_items(e, None) for e in entries}
    return standards.graph(entries, base_url(request), title=TITLE, items=items)


@router.get("/api/catalog/dcat.ttl", response_class=Response, responses={200: {"content": {"text/turtle": {}}}})
def dcat_turtle(request: Request, session: SessionDep) -> Response:
    """DCAT-AP 3 of the open catalogue, Turtle."""
    return Response(standards.turtle(_graph(request, session)), media_type="text/turtle; charset=utf-8")


@router.get(
    "/api/catalog/dcat.jsonld", response_class=Response, responses={200: {"content": {"application/ld+json": {}}}}
)
def dcat_jsonld(request: Request, session: SessionDep) -> Response:
    """DCAT-AP 3 of the open catalogue, JSON-LD (inline context: no remote fetch needed)."""
    return Response(standards.jsonld(_graph(request, session)), media_type="application/ld+json")


# -- CKAN Action API subset ------------------------------------------------------------------------------
def _visible(session: SessionDep, actor: OptionalActorDep) -> Any:
    return service.list_entries(actor, service.EntryFilter(state="published"))


def _package(request: Request, entry: CatalogEntry, actor: OptionalActorDep) -> dict[str, Any]:
    return standards.ckan_package(entry, base_url(request), service.visible_items(entry, actor))


@router.get("/api/3/action/package_list", response_model=CkanNames)
def package_list(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    entries = session.scalars(_visible(session, actor).limit(limit).offset(offset))
    return standards.ckan_ok(base_url(request), "package_list", [standards.ckan_name(e) for e in entries])


@router.get("/api/3/action/package_show", response_model=CkanPackage, responses=CKAN_ERROR)
def package_show(
    request: Request, session: SessionDep, actor: OptionalActorDep, id: Annotated[str, Query(max_length=100)]
) -> dict[str, Any] | JSONResponse:
    """`id` is the dataset name (slug) or its 信息资源代码."""
    for entry in session.scalars(_visible(session, actor)):
        if id in (standards.ckan_name(entry), entry.code):
            return standards.ckan_ok(base_url(request), "package_show", _package(request, entry, actor))
    body = standards.ckan_error(base_url(request), "package_show", "Not Found Error", "未找到 / Not found")
    return JSONResponse(body, status_code=404)


@router.get("/api/3/action/package_search", response_model=CkanSearch)
def package_search(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    q: Annotated[str, Query(max_length=100)] = "",
    rows: Annotated[int, Query(ge=0, le=1000)] = 10,
    start: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """CKAN's search call: `q` is matched like the catalogue search (Chinese substrings, all terms)."""
    stmt = service.list_entries(actor, service.EntryFilter(q="" if q.strip() in ("", "*:*") else q, state="published"))
    from cityops.core.pagination import PageParams, paginate

    found, count = paginate(session, stmt, PageParams(limit=max(rows, 1), offset=start))
    result = {
        "count": count,
        "sort": "score desc, metadata_modified desc",
        "results": [_package(request, e, actor) for e in found][:rows],
        "facets": {},
        "search_facets": {},
    }
    return standards.ckan_ok(base_url(request), "package_search", result)


@router.get("/api/3/action/organization_list", response_model=CkanOrganizations)
def organization_list(
    request: Request, session: SessionDep, actor: OptionalActorDep, all_fields: bool = False
) -> dict[str, Any]:
    orgs: dict[str, dict[str, Any]] = {}
    for entry in session.scalars(_visible(session, actor)):
        org = standards.ckan_organization(entry)
        org.setdefault("package_count", 0)
        orgs.setdefault(org["name"], org)["package_count"] += 1
    names = sorted(orgs)
    result: list[Any] = [orgs[n] for n in names] if all_fields else names
    return standards.ckan_ok(base_url(request), "organization_list", result)
