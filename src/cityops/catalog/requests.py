"""数据供需: a department or a street requests data; the provider's data_admin answers within a deadline on
the working calendar; an overdue request escalates once; a grant is scoped to fields, a jurisdiction and a
validity period, is revocable, and every read through it is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.orm import Session

from cityops.catalog import service
from cityops.catalog.models import ANSWERED, FULFILLED, CatalogEntry, DataGrant, DataRequest, EntryState, RequestState
from cityops.catalog.models import ShareType as ST
from cityops.catalog.permissions import holds, is_party, is_provider
from cityops.catalog.schemas import AnswerIn, RequestIn
from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.core.todo import TodoItem
from cityops.events.calendar import CST, load_calendar, parse_duration
from cityops.org import service as org
from cityops.org.models import Department, OrgUnit

# 提供方答复时限: the Shanxi 2024 细则 gives 5 working days for data already on the platform
# (reference/anchors-data.md §2.4); one figure for every request until a city configures otherwise.
ANSWER_WITHIN = "5wd"
SWEEPER = system_actor("system:catalog-deadlines")


class RequestNotFound(NotFound):
    message = "数据申请不存在 / Data request not found."
    default_code = "catalog.request_not_found"


# -- scoping -----------------------------------------------------------------------------------------
def _provider_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.unit_id is None:
        return false()
    if actor.department_id is not None:
        return DataRequest.provider_department_id == actor.department_id
    return and_(DataRequest.provider_department_id.is_(None), DataRequest.provider_unit_id == actor.unit_id)


def _requester_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.department_id is not None:
        return DataRequest.requester_department_id == actor.department_id
    return org.in_subtree(DataRequest.requester_unit_path, actor.unit_path)


def scoped(stmt: AnySelect, actor: Actor, box: str | None = None) -> AnySelect:
    """mine: filed by the actor's unit subtree (or department); inbox: addressed to the actor's provider."""
    if actor.is_system:
        return stmt
    if box == "mine":
        return stmt.where(_requester_clause(actor))
    if box == "inbox":
        return stmt.where(_provider_clause(actor))
    return stmt.where(or_(_requester_clause(actor), _provider_clause(actor)))


def access_request(session: Session, actor: Actor, request_id: int) -> DataRequest:
    found: DataRequest = one_or_raise(
        session,
        scoped(select(DataRequest), actor).where(DataRequest.id == request_id),
        RequestNotFound(request_id=request_id),
    )
    return found


def list_requests(actor: Actor, *, box: str | None = None, state: str | None = None) -> AnySelect:
    stmt = scoped(select(DataRequest), actor, box)
    if state:
        stmt = stmt.where(DataRequest.state == state)
    return stmt.order_by(DataRequest.created_at.desc(), DataRequest.id.desc())


def grant_of(session: Session, request: DataRequest) -> DataGrant | None:
    return session.scalars(select(DataGrant).where(DataGrant.request_id == request.id)).one_or_none()


# -- filing ------------------------------------------------------------------------------------------
def _check_fields(entry: CatalogEntry, fields: list[str]) -> list[str]:
    shareable = service.shareable_fields(entry)
    if not fields:
        return shareable
    bad = [f for f in fields if f not in shareable]
    if bad:
        raise Invalid(
            f"这些信息项不存在或不予共享：{'、'.join(bad)} / not shareable: {', '.join(bad)}",
            field="fields",
            code="catalog.field_not_shareable",
            fields=bad,
        )
    return list(dict.fromkeys(fields))


def submit(session: Session, actor: Actor, data: RequestIn) -> DataRequest:
    if not holds(actor, "request.submit") or actor.unit_id is None:
        raise Forbidden("您的角色不能申请数据 / your role may not request data", code="catalog.request_role")
    fields: list[str] = []
    if data.entry_id is not None:
        entry = service.access_entry(session, actor, data.entry_id)
        if entry.state != EntryState.published:
            raise Conflict("资源未发布，不能申请 / the entry is not published", code="catalog.entry_not_published")
        if entry.share_type == ST.none:
            raise Conflict("该资源不予共享 / the entry is not shared", code="catalog.entry_not_shared")
        fields = _check_fields(entry, data.fields)
        provider_dept, provider_unit = entry.department_id, entry.unit_id
    else:
        dept = org.access_department(session, actor, int(data.provider_department_id or 0))
        provider_dept, provider_unit = dept.id, dept.unit_id
    unit = session.get(OrgUnit, provider_unit)
    assert unit is not None
    now = clock.now()
    row = DataRequest(
        ref=f"tmp-{secrets.token_hex(8)}",
        entry_id=data.entry_id,
        need=data.need.strip(),
        purpose=data.purpose.strip(),
        fields=fields or list(dict.fromkeys(data.fields)),
        use_from=data.use_from,
        use_until=data.use_until,
        requester_id=actor.user_id,
        requester_name=_requester_name(session, actor),
        requester_unit_id=actor.unit_id,
        requester_unit_path=actor.unit_path,
        requester_department_id=actor.department_id,
        provider_department_id=provider_dept,
        provider_unit_id=provider_unit,
        provider_unit_path=unit.path,
        state=RequestState.submitted,
        created_at=now,
        due_at=load_calendar(session).add(now, parse_duration(ANSWER_WITHIN)),
        overdue=False,
    )
    session.add(row)
    session.flush()
    row.ref = f"SQ{now.astimezone(CST):%Y%m%d}{row.id:05d}"
    audit.record(session, actor, "catalog.request_submitted", row, entry_id=row.entry_id, fields=row.fields)
    outbox.add(session, "catalog.request_submitted", request_id=row.id, provider_department_id=provider_dept)
    return row


def _requester_name(session: Session, actor: Actor) -> str:
    """Shown to the provider: the requesting unit first (a street, a department), then the person."""
    if actor.department_id is not None:
        dept = session.get(Department, actor.department_id)
        return f"{dept.name if dept else ''} · {actor.username}"[:80]
    unit = session.get(OrgUnit, actor.unit_id) if actor.unit_id is not None else None
    return f"{unit.name if unit else ''} · {actor.username}"[:80]


def withdraw(session: Session, actor: Actor, request: DataRequest) -> DataRequest:
    if not (
        holds(actor, "request.withdraw") and is_party(actor, request.requester_unit_id, request.requester_department_id)
    ):
        raise Forbidden("只有申请单位可以撤销 / only the requester may withdraw", code="catalog.not_requester")
    if request.state != RequestState.submitted:
        raise Conflict("申请已答复，不能撤销 / already answered", code="catalog.request_answered")
    request.state = RequestState.withdrawn
    audit.record(session, actor, "catalog.request_withdrawn", request)
    return request


# -- answering ---------------------------------------------------------------------------------------
def _require_answerer(actor: Actor, request: DataRequest) -> None:
    if not (
        actor.is_system
        or (
            holds(actor, "request.answer")
            and is_provider(actor, request.provider_department_id, request.provider_unit_id)
        )
    ):
        raise Forbidden(
            "只有提供方的数据管理员可以答复 / only the provider's data_admin answers", code="catalog.not_provider"
        )


def answer(session: Session, actor: Actor, request: DataRequest, data: AnswerIn) -> DataRequest:
    _require_answerer(actor, request)
    if request.state != RequestState.submitted:
        raise Conflict("该申请已答复或已撤销 / already answered or withdrawn", code="catalog.request_answered")
    now = clock.now()
    if data.decision == "refuse":
        if not data.reason.strip():
            raise Invalid(
                "不予同意须写明理由 / a refusal needs a reason", field="reason", code="catalog.reason_required"
            )
        request.state, request.reason = RequestState.refused, data.reason.strip()
    else:
        if data.decision == "approve_with_conditions" and not data.conditions.strip():
            raise Invalid(
                "有条件同意须写明条件 / conditions required", field="conditions", code="catalog.conditions_required"
            )
        _grant(session, request, data, now)
        request.state = RequestState(
            RequestState.approved if data.decision == "approve" else RequestState.approved_with_conditions
        )
        request.conditions = data.conditions.strip()
    request.answered_at, request.answered_by = now, actor.username[:80]
    audit.record(session, actor, "catalog.request_answered", request, decision=data.decision, overdue=request.overdue)
    outbox.add(session, "catalog.request_answered", request_id=request.id, state=request.state)
    return request


def _grant(session: Session, request: DataRequest, data: AnswerIn, now: datetime) -> DataGrant:
    entry_id = request.entry_id or data.entry_id
    entry = session.get(CatalogEntry, entry_id) if entry_id is not None else None
    if entry is None or not is_provider_entry(request, entry) or entry.state != EntryState.published:
        raise Invalid(
            "请选择本单位一个已发布的目录资源来满足该需求 / answer a need with one of your published entries",
            field="entry_id",
            code="catalog.grant_needs_entry",
        )
    requested = request.fields or service.shareable_fields(entry)
    granted = list(dict.fromkeys(data.fields if data.fields is not None else requested))
    wider = [f for f in granted if f not in requested or f not in service.shareable_fields(entry)]
    if wider or not granted:
        raise Invalid(
            f"授权字段不能超出申请且须可共享：{'、'.join(wider) or '（空）'} / grant wider than the request",
            field="fields",
            code="catalog.grant_wider_than_request",
            fields=wider,
        )
    until = data.valid_until or request.use_until
    if until > request.use_until or until < request.use_from:
        raise Invalid(
            "授权期限须在申请的使用期限内 / validity must lie within the requested period",
            field="valid_until",
            code="catalog.grant_period_wider",
        )
    request.entry_id = entry.id
    grant = DataGrant(
        request_id=request.id,
        entry_id=entry.id,
        grantee_unit_id=request.requester_unit_id,
        grantee_unit_path=request.requester_unit_path,
        grantee_department_id=request.requester_department_id,
        fields=granted,
        conditions=data.conditions.strip(),
        valid_from=request.use_from,
        valid_until=until,
        created_at=now,
        reads=0,
    )
    session.add(grant)
    session.flush()
    return grant


def is_provider_entry(request: DataRequest, entry: CatalogEntry) -> bool:
    if request.provider_department_id is not None:
        return entry.department_id == request.provider_department_id
    return entry.department_id is None and entry.unit_id == request.provider_unit_id


# -- deadlines ---------------------------------------------------------------------------------------
def sweep_overdue(session: Session, now: datetime) -> list[int]:
    """Mark unanswered requests past their deadline overdue and escalate each once, to the centre above the
    provider (the city supervises itself); a conditional UPDATE makes a second sweep find nothing."""
    rows = session.execute(
        update(DataRequest)
        .where(DataRequest.state == RequestState.submitted, DataRequest.due_at <= now, DataRequest.overdue.is_(False))
        .values(overdue=True)
        .returning(DataRequest.id, DataRequest.ref, DataRequest.provider_unit_id)
        .execution_options(synchronize_session=False)
    ).all()
    escalated = []
    for request_id, ref, provider_unit_id in rows:
        unit = session.get(OrgUnit, provider_unit_id)
        upper = unit.parent_id if unit is not None and unit.parent_id is not None else provider_unit_id
        session.execute(
            update(DataRequest)
            .where(DataRequest.id == request_id)
            .values(escalated_to_unit_id=upper)
            .execution_options(synchronize_session=False)
        )
        audit.record(session, SWEEPER, "catalog.request_overdue", ("data_request", request_id), escalated_to=upper)
        outbox.add(session, "catalog.request_overdue", request_id=request_id, ref=ref, to_unit_id=upper)
        escalated.append(int(request_id))
    return escalated


def todo_items(session: Session, actor: Actor, now: datetime) -> list[TodoItem]:
    """Requests waiting for this user's answer (the provider's data_admin)."""
    if not actor.has(Role.data_admin):
        return []
    stmt = list_requests(actor, box="inbox", state=RequestState.submitted)
    items = []
    for r in session.scalars(stmt.limit(200)):
        items.append(
            TodoItem(
                kind="catalog.answer",
                kind_label="待答复数据申请 / Data request to answer",
                title=f"{r.ref} {r.purpose[:40]}",
                url=f"/catalog/requests/{r.id}",
                unit_name=r.requester_name,
                due_at=r.due_at,
                urgent=r.overdue or r.due_at <= now,
                ref=r.ref,
            )
        )
    return items


# -- satisfaction rate (数据供需满足率; definition in docs/concepts.md) -----------------------------------
@dataclass(frozen=True)
class Satisfaction:
    fulfilled: int
    settled: int

    @property
    def rate(self) -> float | None:
        return round(self.fulfilled / self.settled, 4) if self.settled else None


def satisfaction(session: Session, unit_path: str, since: date, until: date) -> Satisfaction:
    """Over requests to providers in `unit_path`'s subtree that settled in [since, until] (China dates):
    answered in the period, or unanswered with their deadline in the period. Fulfilled = approved, with or
    without conditions. Withdrawn requests count in neither."""
    start = datetime(since.year, since.month, since.day, tzinfo=CST)
    end = datetime(until.year, until.month, until.day, tzinfo=CST).replace(hour=23, minute=59, second=59)
    in_scope = org.in_subtree(DataRequest.provider_unit_path, unit_path)
    answered = and_(DataRequest.state.in_(ANSWERED), DataRequest.answered_at.between(start, end))
    lapsed = and_(
        DataRequest.state == RequestState.submitted,
        DataRequest.due_at.between(start, end),
        DataRequest.due_at <= clock.now(),  # not yet due: not settled
    )
    rows = session.execute(select(DataRequest.state).where(in_scope, or_(answered, lapsed))).scalars().all()
    return Satisfaction(fulfilled=sum(1 for s in rows if s in FULFILLED), settled=len(rows))
