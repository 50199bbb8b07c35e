"""能力组件 registry: a provider registers a component, a reviewer at or above the provider lists it
(上架) or rejects it, and may later delist it (下架). Counts feed the 能力组件 runway."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cityops.catalog.models import CapabilityComponent, ComponentStatus
from cityops.catalog.permissions import holds
from cityops.catalog.schemas import ComponentIn, ReviewIn
from cityops.catalog.service import near_clause, provider_of
from cityops.catalog.vocab import COMPONENT_KINDS
from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.org.service import in_subtree
from cityops.workflow.engine import Flow

REVIEW_FLOW = Flow(
    "catalog_component",
    {
        (ComponentStatus.pending, "list"): ComponentStatus.listed,
        (ComponentStatus.pending, "reject"): ComponentStatus.rejected,
        (ComponentStatus.delisted, "list"): ComponentStatus.listed,
        (ComponentStatus.listed, "delist"): ComponentStatus.delisted,
    },
    labels={
        "pending": "待审核",
        "listed": "已上架",
        "rejected": "已驳回",
        "delisted": "已下架",
        "list": "上架",
        "reject": "驳回",
        "delist": "下架",
    },
    code="catalog.invalid_transition",
)


def _mine(actor: Actor) -> Any:
    if actor.department_id is not None:
        return CapabilityComponent.department_id == actor.department_id
    return CapabilityComponent.unit_id == (actor.unit_id or 0)


def scoped(stmt: AnySelect, actor: Actor) -> AnySelect:
    """Listed components near the actor are on the shelf; providers and reviewers also see the others."""
    if actor.is_system:
        return stmt
    listed = (CapabilityComponent.status == ComponentStatus.listed) & near_clause(CapabilityComponent.unit_path, actor)
    reviewing = in_subtree(CapabilityComponent.unit_path, actor.unit_path) if holds(actor, "component.review") else None
    clauses = [listed, _mine(actor)] + ([reviewing] if reviewing is not None else [])
    return stmt.where(or_(*clauses))


def list_components(actor: Actor, *, kind: str | None = None, status: str | None = None) -> AnySelect:
    stmt = scoped(select(CapabilityComponent), actor)
    if kind:
        stmt = stmt.where(CapabilityComponent.kind == kind)
    if status:
        stmt = stmt.where(CapabilityComponent.status == status)
    return stmt.order_by(CapabilityComponent.kind, CapabilityComponent.code)


def access_component(session: Session, actor: Actor, component_id: int) -> CapabilityComponent:
    stmt = scoped(select(CapabilityComponent), actor).where(CapabilityComponent.id == component_id)
    found: CapabilityComponent = one_or_raise(
        session, stmt, NotFound("能力组件不存在 / component not found", code="catalog.component_not_found")
    )
    return found


def register(session: Session, actor: Actor, data: ComponentIn, *, demo: bool = False) -> CapabilityComponent:
    if not holds(actor, "component.register"):
        raise Forbidden("无权登记能力组件 / your role may not register components", code="catalog.component_role")
    if data.kind not in COMPONENT_KINDS:
        raise Invalid(f"组件类型应为 {'、'.join(COMPONENT_KINDS.values())} 之一", field="kind", code="catalog.kind")
    if session.scalar(select(CapabilityComponent.id).where(CapabilityComponent.code == data.code)) is not None:
        raise Conflict("组件代码已存在 / code already used", field="code", code="catalog.component_code_taken")
    dept, unit = provider_of(session, actor, data.department_id)
    row = CapabilityComponent(
        code=data.code,
        name=data.name,
        kind=data.kind,
        description=data.description,
        department_id=dept.id if dept else None,
        unit_id=unit.id,
        unit_path=unit.path,
        provider_name=dept.name if dept else f"{unit.name}城市运行和治理中心",
        version=data.version,
        endpoint=data.endpoint,
        status=ComponentStatus.pending,
        used_by=data.used_by,
        is_demo=demo,
        created_at=clock.now(),
    )
    return audit.add_new(session, actor, "catalog.component_registered", row, code=row.code)


def review(session: Session, actor: Actor, component: CapabilityComponent, data: ReviewIn) -> CapabilityComponent:
    if not (actor.is_system or (holds(actor, "component.review") and actor.sees_path(component.unit_path))):
        raise Forbidden("只有提供方所在或上级单位的应用管理员可以审核 / reviewer only", code="catalog.not_reviewer")
    target = REVIEW_FLOW.next_state(component.status, data.decision)
    if data.decision in ("reject", "delist") and not data.note.strip():
        raise Invalid("请写明理由 / a reason is required", field="note", code="catalog.reason_required")
    component.status = target
    component.review_note, component.reviewed_by, component.reviewed_at = data.note, actor.username[:80], clock.now()
    audit.record(session, actor, "catalog.component_reviewed", component, decision=data.decision)
    return component


def counts(session: Session, unit_path: str, *, kind: str | None = None) -> int:
    """Listed (上架) components provided in the subtree of `unit_path`."""
    stmt = select(func.count()).where(
        CapabilityComponent.status == ComponentStatus.listed, in_subtree(CapabilityComponent.unit_path, unit_path)
    )
    if kind:
        stmt = stmt.where(CapabilityComponent.kind == kind)
    return int(session.scalar(stmt) or 0)
