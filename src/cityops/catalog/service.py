"""The catalogue: entries with the core metadata, scoped reading and search, versions, publish and
withdraw, and 纠错 (corrections). Supply–demand lives in `requests.py`, the platform's own datasets in
`sources.py`."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, select
from sqlalchemy.orm import Session

from cityops.catalog.models import (
    CatalogCorrection,
    CatalogEntry,
    CatalogEntryVersion,
    EntryState,
    OpenType,
    ShareType,
)
from cityops.catalog.permissions import holds, is_provider
from cityops.catalog.schemas import EntryIn
from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.org.models import Department, OrgUnit
from cityops.org.service import in_subtree
from cityops.workflow.engine import Flow

ENTRY_FLOW = Flow(
    "catalog_entry",
    {
        (EntryState.draft, "publish"): EntryState.published,
        (EntryState.withdrawn, "publish"): EntryState.published,
        (EntryState.published, "withdraw"): EntryState.withdrawn,
    },
    labels={"draft": "草稿", "published": "已发布", "withdrawn": "已撤回", "publish": "发布", "withdraw": "撤回"},
    code="catalog.invalid_transition",
)
METADATA_FIELDS = (
    "title",
    "classification",
    "summary",
    "format_class",
    "format",
    "update_cycle",
    "share_type",
    "share_condition",
    "open_type",
    "open_condition",
    "related_codes",
    "items",
)


class EntryNotFound(NotFound):
    message = "目录资源不存在 / Catalogue entry not found."
    default_code = "catalog.entry_not_found"


# -- scoping -----------------------------------------------------------------------------------------
def near_clause(path_col: Any, actor: Actor) -> ColumnElement[bool]:
    """Providers in the actor's subtree or above it (a street sees its district's and the city's)."""
    if not actor.unit_path:
        return false()
    return or_(in_subtree(path_col, actor.unit_path), literal(actor.unit_path).startswith(path_col))


def _own(actor: Actor) -> ColumnElement[bool]:
    """Entries the actor manages as its provider's data_admin, whatever their state."""
    if not holds(actor, "entry.edit") or actor.unit_id is None:
        return false()
    if actor.department_id is not None:
        return CatalogEntry.department_id == actor.department_id
    return and_(CatalogEntry.department_id.is_(None), CatalogEntry.unit_id == actor.unit_id)


def scoped(stmt: AnySelect, actor: Actor | None) -> AnySelect:
    """Published entries near the actor, plus its own in any state; without an actor, the open part."""
    published = CatalogEntry.state == EntryState.published
    if actor is None:
        return stmt.where(published, CatalogEntry.open_type != OpenType.closed)
    if actor.is_system:
        return stmt
    if not holds(actor, "entry.read"):
        return stmt.where(false())
    return stmt.where(or_(and_(published, near_clause(CatalogEntry.unit_path, actor)), _own(actor)))


def access_entry(session: Session, actor: Actor | None, entry_id: int) -> CatalogEntry:
    found: CatalogEntry = one_or_raise(
        session,
        scoped(select(CatalogEntry), actor).where(CatalogEntry.id == entry_id),
        EntryNotFound(entry_id=entry_id),
    )
    return found


def entry_by_code(session: Session, actor: Actor | None, code: str) -> CatalogEntry:
    found: CatalogEntry = one_or_raise(
        session, scoped(select(CatalogEntry), actor).where(CatalogEntry.code == code), EntryNotFound(code=code)
    )
    return found


def manages(actor: Actor, entry: CatalogEntry) -> bool:
    return actor.is_system or (holds(actor, "entry.edit") and is_provider(actor, entry.department_id, entry.unit_id))


def require_provider(actor: Actor, entry: CatalogEntry, action: str) -> None:
    if not (actor.is_system or (holds(actor, action) and is_provider(actor, entry.department_id, entry.unit_id))):
        raise Forbidden(
            "只有提供方的数据管理员可以这样做 / only the provider's data_admin may do this",
            code=f"catalog.{action.replace('.', '_')}_not_provider",
        )


# -- search ------------------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case: the form stored and searched."""
    return unicodedata.normalize("NFKC", text).lower()


def search_text_of(entry: CatalogEntry) -> str:
    parts = [entry.code, entry.title, entry.summary, entry.classification, entry.provider_name]
    parts += [f"{i['label']} {i['name']}" for i in entry.items or []]
    return normalise(" ".join(parts))


@dataclass
class EntryFilter:
    q: str = ""
    share_type: str | None = None
    department_id: int | None = None
    state: str | None = None
    aggregated: bool | None = None


def list_entries(actor: Actor | None, f: EntryFilter) -> AnySelect:
    """Chinese full text without a search engine: every whitespace-separated term must occur in the entry's
    name, summary, classification, provider or items (substring LIKE over the normalised text, the same on
    SQLite and PostgreSQL). Title hits rank first."""
    stmt = scoped(select(CatalogEntry), actor)
    terms = [t for t in normalise(f.q).split() if t][:8]
    for term in terms:
        stmt = stmt.where(CatalogEntry.search_text.contains(term, autoescape=True))
    if f.share_type:
        stmt = stmt.where(CatalogEntry.share_type == f.share_type)
    if f.department_id is not None:
        stmt = stmt.where(CatalogEntry.department_id == f.department_id)
    if f.state:
        stmt = stmt.where(CatalogEntry.state == f.state)
    if f.aggregated is not None:
        stmt = stmt.where(CatalogEntry.aggregated.is_(f.aggregated))
    if terms:
        title_hit = CatalogEntry.title.contains(terms[0], autoescape=True)
        return stmt.order_by(title_hit.desc(), CatalogEntry.code)
    return stmt.order_by(CatalogEntry.unit_path, CatalogEntry.code)


def visible_items(entry: CatalogEntry, actor: Actor | None) -> list[dict[str, Any]]:
    """不予共享 items are shown to the provider only (the API, pages, DCAT and CKAN all read through here)."""
    items: list[dict[str, Any]] = list(entry.items or [])
    if actor is not None and manages(actor, entry):
        return items
    return [i for i in items if i.get("share_type") != ShareType.none]


def shareable_fields(entry: CatalogEntry) -> list[str]:
    return [i["name"] for i in entry.items or [] if i.get("share_type") != ShareType.none]


# -- writing -----------------------------------------------------------------------------------------
def provider_of(session: Session, actor: Actor, department_id: int | None) -> tuple[Department | None, OrgUnit]:
    department_id = department_id if department_id is not None else actor.department_id
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None:
            raise Invalid("部门不存在 / department not found", field="department_id", code="catalog.no_department")
        unit = session.get(OrgUnit, dept.unit_id)
        assert unit is not None
        if not (actor.is_system or actor.department_id == dept.id):
            raise Forbidden(
                "只能为本部门编目 / you catalogue for your own department only", code="catalog.not_provider"
            )
        return dept, unit
    unit = session.get(OrgUnit, actor.unit_id) if actor.unit_id is not None else None
    if unit is None:
        raise Invalid("没有所属单位 / you belong to no unit", field="department_id", code="catalog.no_provider")
    return None, unit


def _apply(entry: CatalogEntry, data: EntryIn) -> None:
    values = data.model_dump(include=set(METADATA_FIELDS), mode="json")
    for name, value in values.items():
        setattr(entry, name, value)
    entry.search_text = search_text_of(entry)


def snapshot(entry: CatalogEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ("code", *METADATA_FIELDS, "state")}


def create_entry(
    session: Session, actor: Actor, data: EntryIn, *, source: dict[str, Any] | None = None, demo: bool = False
) -> CatalogEntry:
    if not holds(actor, "entry.edit"):
        raise Forbidden("只有数据管理员可以编目 / only a data_admin catalogues", code="catalog.entry_edit_role")
    dept, unit = provider_of(session, actor, data.department_id)
    if session.scalar(select(CatalogEntry.id).where(CatalogEntry.code == data.code)) is not None:
        raise Conflict(f"信息资源代码 {data.code} 已存在 / code already used", field="code", code="catalog.code_taken")
    now = clock.now()
    entry = CatalogEntry(
        code=data.code,
        department_id=dept.id if dept else None,
        unit_id=unit.id,
        unit_path=unit.path,
        level=unit.level,
        provider_name=dept.name if dept else f"{unit.name}城市运行和治理中心",
        source=source,
        aggregated=source is not None,
        state=EntryState.draft,
        version=1,
        is_demo=demo,
        published_on=None,
        created_at=now,
        updated_at=now,
    )
    _apply(entry, data)
    session.add(entry)
    session.flush()
    _version(session, actor, entry, "编目 / catalogued")
    audit.record(session, actor, "catalog.entry_created", entry, code=entry.code)
    return entry


def _version(session: Session, actor: Actor, entry: CatalogEntry, note: str) -> None:
    session.add(
        CatalogEntryVersion(
            entry_id=entry.id,
            version=entry.version,
            snapshot=snapshot(entry),
            note=note[:200],
            actor_name=actor.username[:80],
            at=clock.now(),
        )
    )


def update_entry(session: Session, actor: Actor, entry: CatalogEntry, data: EntryIn, *, note: str = "") -> CatalogEntry:
    require_provider(actor, entry, "entry.edit")
    if data.code != entry.code:
        raise Invalid("信息资源代码不可更改 / the code is immutable", field="code", code="catalog.code_immutable")
    before = snapshot(entry)
    _apply(entry, data)
    changed = sorted(k for k, v in snapshot(entry).items() if before[k] != v)
    if not changed:
        return entry
    entry.version += 1
    entry.updated_at = clock.now()
    _version(session, actor, entry, note or f"修改 / changed: {', '.join(changed)}")
    audit.record(session, actor, "catalog.entry_updated", entry, version=entry.version, changed=changed)
    return entry


def act(session: Session, actor: Actor, entry: CatalogEntry, action: str) -> CatalogEntry:
    """publish | withdraw (a withdrawn entry keeps its grants readable until they are revoked)."""
    require_provider(actor, entry, "entry.publish")
    entry.state = ENTRY_FLOW.next_state(entry.state, action)
    entry.updated_at = clock.now()
    if action == "publish" and entry.published_on is None:
        entry.published_on = clock.now().date()
    entry.version += 1
    _version(session, actor, entry, "发布 / published" if action == "publish" else "撤回 / withdrawn")
    audit.record(
        session,
        actor,
        "catalog.entry_published" if action == "publish" else "catalog.entry_withdrawn",
        entry,
        state=entry.state,
    )
    return entry


def versions(session: Session, entry: CatalogEntry) -> list[CatalogEntryVersion]:
    stmt = select(CatalogEntryVersion).where(CatalogEntryVersion.entry_id == entry.id)
    return list(session.scalars(stmt.order_by(CatalogEntryVersion.id)))


# -- corrections (纠错) --------------------------------------------------------------------------------
def file_correction(session: Session, actor: Actor, entry: CatalogEntry, field: str, text: str) -> CatalogCorrection:
    if not holds(actor, "correction.file"):
        raise Forbidden("无此权限 / your role may not file corrections", code="catalog.correction_role")
    row = CatalogCorrection(
        entry_id=entry.id,
        reporter_id=actor.user_id,
        reporter_unit_path=actor.unit_path or "/",
        field=field,
        text=text,
        state="open",
        reply="",
        created_at=clock.now(),
    )
    return audit.add_new(session, actor, "catalog.correction_filed", row, entry_id=entry.id, field=field)


def corrections(session: Session, actor: Actor, entry: CatalogEntry) -> list[CatalogCorrection]:
    """The provider sees every correction of its entry; others see those filed from their subtree."""
    stmt = select(CatalogCorrection).where(CatalogCorrection.entry_id == entry.id)
    if not manages(actor, entry):
        stmt = stmt.where(in_subtree(CatalogCorrection.reporter_unit_path, actor.unit_path))
    return list(session.scalars(stmt.order_by(CatalogCorrection.id)))


def resolve_correction(
    session: Session, actor: Actor, entry: CatalogEntry, correction_id: int, *, accept: bool, reply: str
) -> CatalogCorrection:
    row = session.get(CatalogCorrection, correction_id)
    if row is None or row.entry_id != entry.id or row not in corrections(session, actor, entry):
        raise NotFound("纠错不存在 / correction not found", code="catalog.correction_not_found")
    require_provider(actor, entry, "correction.resolve")
    if row.state != "open":
        raise Conflict("该纠错已处理 / already resolved", code="catalog.correction_resolved")
    row.state, row.reply, row.resolved_at = ("accepted" if accept else "rejected"), reply, clock.now()
    audit.record(session, actor, "catalog.correction_resolved", row, accepted=accept)
    return row
