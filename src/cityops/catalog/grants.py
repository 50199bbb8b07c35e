"""数据授权: what a grant lets its grantee do — read exactly the granted fields of the provider's data, limited
to the grantee's own jurisdiction and the validity period, each read audited — and its revocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.catalog import sources
from cityops.catalog.models import CatalogEntry, DataGrant, DataRequest
from cityops.catalog.permissions import holds, is_party, is_provider
from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.db import write_after_read
from cityops.core.errors import Conflict, Forbidden, NotFound
from cityops.events.calendar import CST


class GrantNotFound(NotFound):
    message = "数据授权不存在 / Data grant not found."
    default_code = "catalog.grant_not_found"


def access_grant(session: Session, actor: Actor, grant_id: int) -> DataGrant:
    """The grantee or the provider; anyone else gets 404."""
    grant = session.get(DataGrant, grant_id)
    request = session.get(DataRequest, grant.request_id) if grant is not None else None
    if grant is None or request is None:
        raise GrantNotFound(grant_id=grant_id)
    if not (
        actor.is_system
        or is_party(actor, grant.grantee_unit_id, grant.grantee_department_id)
        or is_provider(actor, request.provider_department_id, request.provider_unit_id)
    ):
        raise GrantNotFound(grant_id=grant_id)
    return grant


def grant_for_entry(session: Session, actor: Actor, entry: CatalogEntry) -> DataGrant:
    """The caller's newest grant for an entry (a live one before a revoked one); 403 when there is none."""
    stmt = select(DataGrant).where(DataGrant.entry_id == entry.id, DataGrant.grantee_unit_id == (actor.unit_id or 0))
    grants = [
        g
        for g in session.scalars(stmt.order_by(DataGrant.id.desc()))
        if is_party(actor, g.grantee_unit_id, g.grantee_department_id)
    ]
    live = [g for g in grants if g.revoked_at is None]
    if not (live or grants):
        raise Forbidden(
            "没有该资源的数据授权，请先申请 / no grant for this entry: request it first", code="catalog.no_grant"
        )
    return (live or grants)[0]


def revoke(session: Session, actor: Actor, grant: DataGrant, reason: str) -> DataGrant:
    request = session.get(DataRequest, grant.request_id)
    assert request is not None
    if not (
        actor.is_system
        or (
            holds(actor, "grant.revoke")
            and is_provider(actor, request.provider_department_id, request.provider_unit_id)
        )
    ):
        raise Forbidden("只有提供方的数据管理员可以撤销授权 / only the provider revokes", code="catalog.not_provider")
    if grant.revoked_at is not None:
        raise Conflict("授权已撤销 / already revoked", code="catalog.grant_revoked")
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = clock.now(), actor.username[:80], reason
    audit.record(session, actor, "catalog.grant_revoked", grant, reason=reason)
    return grant


@dataclass
class ReadResult:
    grant: DataGrant
    entry: CatalogEntry
    rows: list[dict[str, Any]]
    total: int


def read(session: Session, actor: Actor, grant: DataGrant, *, limit: int = 100, offset: int = 0) -> ReadResult:
    """Exactly the granted fields, rows limited to the grantee's subtree; each read is audited."""
    if not (holds(actor, "grant.read") and is_party(actor, grant.grantee_unit_id, grant.grantee_department_id)):
        raise Forbidden("只有被授权单位可以读取 / only the grantee reads", code="catalog.not_grantee")
    if grant.revoked_at is not None:
        raise Forbidden("授权已撤销 / the grant was revoked", code="catalog.grant_revoked")
    if period_state(grant) != "current":
        raise Forbidden("不在授权有效期内 / the grant is not valid today", code="catalog.grant_expired")
    entry = session.get(CatalogEntry, grant.entry_id)
    assert entry is not None
    if not entry.source:
        raise Conflict("该资源数据未归集到平台 / the data is not held on the platform", code="catalog.not_on_platform")
    rows = sources.rows(session, entry, grant.grantee_unit_path, list(grant.fields), limit=limit, offset=offset)
    total = sources.record_count(session, entry, grant.grantee_unit_path) or 0
    write_after_read(session)  # a GET: its read snapshot becomes a writer's turn before the audit
    grant.reads = DataGrant.reads + 1  # in SQL: another reader's count since our read is kept
    grant.last_read_at = clock.now()
    audit.record(
        session,
        actor,
        "catalog.data_read",
        grant,
        entry=entry.code,
        fields=list(grant.fields),
        rows=len(rows),
        offset=offset,
    )
    return ReadResult(grant, entry, rows, total)


def period_state(grant: DataGrant) -> str:
    """Where today (a China day) stands in the grant's period: `not_yet`, `current` or `ended`."""
    today = clock.now().astimezone(CST).date()
    if today < grant.valid_from:
        return "not_yet"
    return "current" if today <= grant.valid_until else "ended"
