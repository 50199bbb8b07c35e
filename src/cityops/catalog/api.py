"""HTTP API of the catalogue: entries, corrections, import, requests and grants, components, satisfaction."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from sqlalchemy.orm import Session

from cityops.catalog import components, grants, importer, requests, service, sources
from cityops.catalog.models import CatalogEntry, DataRequest
from cityops.catalog.schemas import (
    AnswerIn,
    ComponentIn,
    ComponentOut,
    ComponentPage,
    CorrectionIn,
    CorrectionOut,
    CorrectionResolve,
    EntryIn,
    EntryOut,
    EntryPage,
    GrantedData,
    GrantOut,
    ImportResult,
    RequestIn,
    RequestOut,
    RequestPage,
    ReviewIn,
    RevokeIn,
    SatisfactionOut,
    VersionOut,
)
from cityops.core.actor import Actor
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.errors import Invalid
from cityops.core.pagination import PageDep, paginate
from cityops.org import service as org

router = APIRouter(prefix="/api/catalog", tags=["catalog"], route_class=TransactionalRoute)
MAX_UPLOAD = 5 * 1024 * 1024


def entry_out(session: Session, entry: CatalogEntry, actor: Actor | None) -> EntryOut:
    out = EntryOut.model_validate(entry, from_attributes=True)
    out.items = [x for x in out.items if x.name in {i["name"] for i in service.visible_items(entry, actor)}]
    out.record_count = sources.record_count(session, entry)
    out.distribution_url = f"/api/catalog/entries/{entry.id}/data" if entry.source else None
    return out


def request_out(session: Session, row: DataRequest) -> RequestOut:
    out = RequestOut.model_validate(row, from_attributes=True)
    grant = requests.grant_of(session, row)
    out.grant = GrantOut.model_validate(grant, from_attributes=True) if grant else None
    return out


# -- entries -----------------------------------------------------------------------------------------
@router.get("/entries")
def list_entries(
    session: SessionDep,
    actor: ActorDep,
    params: PageDep,
    q: Annotated[str, Query(max_length=100, description="全文检索：名称、摘要、分类、信息项")] = "",
    share_type: str | None = None,
    department_id: int | None = None,
    state: str | None = None,
    aggregated: bool | None = None,
) -> EntryPage:
    f = service.EntryFilter(q=q, share_type=share_type, department_id=department_id, state=state, aggregated=aggregated)
    rows, total = paginate(session, service.list_entries(actor, f), params)
    return EntryPage.of([entry_out(session, e, actor) for e in rows], total, params)


@router.post("/entries", response_model=EntryOut, status_code=201)
def create_entry(data: EntryIn, session: SessionDep, actor: ActorDep) -> EntryOut:
    return entry_out(session, service.create_entry(session, actor, data), actor)


@router.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: int, session: SessionDep, actor: ActorDep) -> EntryOut:
    return entry_out(session, service.access_entry(session, actor, entry_id), actor)


@router.put("/entries/{entry_id}", response_model=EntryOut)
def update_entry(entry_id: int, data: EntryIn, session: SessionDep, actor: ActorDep) -> EntryOut:
    entry = service.access_entry(session, actor, entry_id)
    return entry_out(session, service.update_entry(session, actor, entry, data), actor)


@router.post("/entries/{entry_id}/actions/{action}", response_model=EntryOut)
def act_on_entry(entry_id: int, action: str, session: SessionDep, actor: ActorDep) -> EntryOut:
    if action not in ("publish", "withdraw"):
        raise Invalid(
            "操作应为 publish 或 withdraw / action is publish or withdraw",
            field="action",
            code="catalog.invalid_action",
        )
    entry = service.access_entry(session, actor, entry_id)
    return entry_out(session, service.act(session, actor, entry, action), actor)


@router.get("/entries/{entry_id}/versions", response_model=list[VersionOut])
def entry_versions(entry_id: int, session: SessionDep, actor: ActorDep) -> list[VersionOut]:
    entry = service.access_entry(session, actor, entry_id)
    return [VersionOut.model_validate(v, from_attributes=True) for v in service.versions(session, entry)]


@router.get("/entries/{entry_id}/corrections", response_model=list[CorrectionOut])
def entry_corrections(entry_id: int, session: SessionDep, actor: ActorDep) -> list[CorrectionOut]:
    entry = service.access_entry(session, actor, entry_id)
    return [CorrectionOut.model_validate(c, from_attributes=True) for c in service.corrections(session, actor, entry)]


@router.post("/entries/{entry_id}/corrections", response_model=CorrectionOut, status_code=201)
def file_correction(entry_id: int, data: CorrectionIn, session: SessionDep, actor: ActorDep) -> CorrectionOut:
    entry = service.access_entry(session, actor, entry_id)
    row = service.file_correction(session, actor, entry, data.field, data.text)
    return CorrectionOut.model_validate(row, from_attributes=True)


@router.post("/entries/{entry_id}/corrections/{correction_id}/resolve", response_model=CorrectionOut)
def resolve_correction(
    entry_id: int, correction_id: int, data: CorrectionResolve, session: SessionDep, actor: ActorDep
) -> CorrectionOut:
    entry = service.access_entry(session, actor, entry_id)
    row = service.resolve_correction(session, actor, entry, correction_id, accept=data.accept, reply=data.reply)
    return CorrectionOut.model_validate(row, from_attributes=True)


@router.post("/import", response_model=ImportResult)
async def import_sheet(
    session: SessionDep, actor: ActorDep, file: Annotated[UploadFile, File()], department_id: int | None = None
) -> ImportResult:
    """A 目录 sheet (.xlsx): good rows become drafts; bad rows are reported by their Excel row number."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Invalid("文件超过 5 MB / the file is larger than 5 MB", field="file", code="catalog.file_too_large")
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(importer.import_sheet, session, actor, content, department_id=department_id)


# -- supply–demand -----------------------------------------------------------------------------------
@router.get("/requests")
def list_requests(
    session: SessionDep,
    actor: ActorDep,
    params: PageDep,
    box: Annotated[str | None, Query(pattern="^(mine|inbox)$")] = None,
    state: str | None = None,
) -> RequestPage:
    rows, total = paginate(session, requests.list_requests(actor, box=box, state=state), params)
    return RequestPage.of([request_out(session, r) for r in rows], total, params)


@router.post("/requests", response_model=RequestOut, status_code=201)
def submit_request(data: RequestIn, session: SessionDep, actor: ActorDep) -> RequestOut:
    return request_out(session, requests.submit(session, actor, data))


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: int, session: SessionDep, actor: ActorDep) -> RequestOut:
    return request_out(session, requests.access_request(session, actor, request_id))


@router.post("/requests/{request_id}/answer", response_model=RequestOut)
def answer_request(request_id: int, data: AnswerIn, session: SessionDep, actor: ActorDep) -> RequestOut:
    row = requests.access_request(session, actor, request_id)
    return request_out(session, requests.answer(session, actor, row, data))


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut)
def withdraw_request(request_id: int, session: SessionDep, actor: ActorDep) -> RequestOut:
    row = requests.access_request(session, actor, request_id)
    return request_out(session, requests.withdraw(session, actor, row))


@router.get("/grants/{grant_id}", response_model=GrantOut)
def get_grant(grant_id: int, session: SessionDep, actor: ActorDep) -> GrantOut:
    return GrantOut.model_validate(grants.access_grant(session, actor, grant_id), from_attributes=True)


@router.get("/grants/{grant_id}/data")
def read_granted_data(
    grant_id: int,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GrantedData:
    """The granted fields only, rows limited to the grantee's jurisdiction; every read is audited."""
    grant = grants.access_grant(session, actor, grant_id)
    result = grants.read(session, actor, grant, limit=limit, offset=offset)
    return GrantedData(
        entry=result.entry.code,
        fields=list(grant.fields),
        total=result.total,
        limit=limit,
        offset=offset,
        items=result.rows,
    )


@router.get("/entries/{entry_id}/data")
def read_entry_data(
    entry_id: int,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GrantedData:
    """The entry's API distribution: reads through the caller's grant for it (403 without one)."""
    entry = service.access_entry(session, actor, entry_id)
    grant = grants.grant_for_entry(session, actor, entry)
    return read_granted_data(grant.id, session, actor, limit, offset)


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut)
def revoke_grant(grant_id: int, data: RevokeIn, session: SessionDep, actor: ActorDep) -> GrantOut:
    grant = grants.access_grant(session, actor, grant_id)
    return GrantOut.model_validate(grants.revoke(session, actor, grant, data.reason), from_attributes=True)


@router.get("/satisfaction")
def satisfaction(
    session: SessionDep, actor: ActorDep, since: date, until: date, unit_id: int | None = None
) -> SatisfactionOut:
    """数据供需满足率 for providers in a unit's subtree (default: the user's own unit); docs/concepts.md."""
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else int(actor.unit_id or 0))
    s = requests.satisfaction(session, unit.path, since, until)
    return SatisfactionOut(
        unit_id=unit.id, since=since, until=until, fulfilled=s.fulfilled, settled=s.settled, rate=s.rate
    )


# -- capability components ---------------------------------------------------------------------------
@router.get("/components")
def list_components(
    session: SessionDep, actor: ActorDep, params: PageDep, kind: str | None = None, status: str | None = None
) -> ComponentPage:
    rows, total = paginate(session, components.list_components(actor, kind=kind, status=status), params)
    items = [ComponentOut.model_validate(c, from_attributes=True) for c in rows]
    return ComponentPage.of(items, total, params)


@router.post("/components", response_model=ComponentOut, status_code=201)
def register_component(data: ComponentIn, session: SessionDep, actor: ActorDep) -> ComponentOut:
    return ComponentOut.model_validate(components.register(session, actor, data), from_attributes=True)


@router.get("/components/{component_id}", response_model=ComponentOut)
def get_component(component_id: int, session: SessionDep, actor: ActorDep) -> ComponentOut:
    return ComponentOut.model_validate(components.access_component(session, actor, component_id), from_attributes=True)


@router.post("/components/{component_id}/review", response_model=ComponentOut)
def review_component(component_id: int, data: ReviewIn, session: SessionDep, actor: ActorDep) -> ComponentOut:
    row = components.access_component(session, actor, component_id)
    return ComponentOut.model_validate(components.review(session, actor, row, data), from_attributes=True)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
