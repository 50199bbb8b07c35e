"""The closed loop as data: the transition table, the stage (deadline clock) of each status, and who
may take each action (role × relation to the event). docs/permissions.md renders this table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cityops.core.actor import Actor, Role
from cityops.events.models import STATUS_NAMES, Status
from cityops.workflow.engine import Flow

S = Status
STAY = Flow.STAY
_OPEN_WORK = (S.dispatched, S.signed, S.in_progress)

_table: dict[tuple[str, str], str] = {
    (S.reported, "accept"): S.accepted,
    (S.accepted, "dispatch"): S.dispatched,
    (S.dispatched, "sign"): S.signed,
    (S.signed, "start"): S.in_progress,
    (S.in_progress, "report"): S.reported_back,
    (S.reported_back, "verify"): S.verified,
    (S.reported_back, "reject"): S.in_progress,  # verification fails: back to handling (the loop)
    (S.verified, "close"): S.closed,
    (S.closed, "rate"): STAY,
    (S.closed, "reopen"): S.accepted,
    (S.suspended, "resume"): STAY,  # next state is the one before suspension (decided by the service)
}
for _s in (S.dispatched, S.signed):
    _table[(_s, "return")] = S.accepted  # 退单: back to the dispatching centre
for _s in (S.dispatched, S.signed, S.in_progress):
    _table[(_s, "reassign")] = S.dispatched
for _s in (S.signed, S.in_progress):
    _table[(_s, "request_extension")] = STAY
    _table[(_s, "approve_extension")] = STAY
    _table[(_s, "deny_extension")] = STAY
for _s in (S.reported, S.accepted, *_OPEN_WORK, S.reported_back, S.verified, S.suspended):
    _table[(_s, "supervise")] = STAY
    _table[(_s, "urge")] = STAY
for _s in (S.reported, S.accepted, *_OPEN_WORK):
    _table[(_s, "escalate")] = S.accepted  # the upper centre takes over dispatching
    _table[(_s, "merge")] = S.merged
for _s in (S.accepted, *_OPEN_WORK):
    _table[(_s, "suspend")] = S.suspended
for _s in (S.reported, S.accepted):
    _table[(_s, "void")] = S.voided
    _table[(_s, "recategorize")] = STAY

# The deadline clock that runs in each status (None: no clock).
STAGE_OF: dict[str, str | None] = {
    S.reported: "accept",
    S.accepted: "accept",
    S.dispatched: "sign",
    S.signed: "handle",
    S.in_progress: "handle",
    S.reported_back: "verify",
    S.verified: None,
    S.suspended: None,
    S.closed: None,
    S.merged: None,
    S.voided: None,
}

# Actions that need a written reason.
NEEDS_REASON = frozenset(
    {"return", "void", "suspend", "reject", "request_extension", "deny_extension", "supervise", "reassign", "escalate"}
)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    relation: str  # centre | above | assignee | reporter_or_centre
    note: str


def _r(roles: tuple[Role, ...], relation: str, note: str) -> Rule:
    return Rule(frozenset(roles), relation, note)


D, L, H, C = Role.dispatcher, Role.leader, Role.handler, Role.citizen
PERMISSIONS: dict[str, Rule] = {
    "accept": _r((D,), "centre", "受理：派遣中心（或其上级）的值班员"),
    "dispatch": _r((D,), "centre", "派遣：派遣中心的值班员"),
    "sign": _r((H, D), "assignee", "签收：承办部门的办理员，或承办镇街中心的人员"),
    "start": _r((H, D), "assignee", "处置：承办方"),
    "report": _r((H, D), "assignee", "反馈：承办方"),
    "return": _r((H, D), "assignee", "退单（须写理由）：承办方"),
    "request_extension": _r((H, D), "assignee", "申请延期（须写理由）：承办方"),
    "verify": _r((D,), "centre", "核查通过：派遣中心"),
    "reject": _r((D,), "centre", "核查不通过、退回处置（须写理由）：派遣中心"),
    "close": _r((D,), "centre", "办结：派遣中心"),
    "reassign": _r((D,), "centre", "改派：派遣中心"),
    "approve_extension": _r((D, L), "centre", "批准延期：派遣中心值班员或领导"),
    "deny_extension": _r((D, L), "centre", "驳回延期：派遣中心值班员或领导"),
    "suspend": _r((D, L), "centre", "挂起（须写理由）：派遣中心"),
    "resume": _r((D, L), "centre", "恢复：派遣中心"),
    "escalate": _r((D, L), "centre", "升级上报：派遣中心，交上一级中心"),
    "merge": _r((D,), "centre", "并案：派遣中心"),
    "void": _r((D,), "centre", "作废（须写理由）：派遣中心"),
    "recategorize": _r((D,), "centre", "改类（派遣前，按新分类重新分拨）：派遣中心"),
    "urge": _r((D, L), "centre", "催办：派遣中心或上级"),
    "supervise": _r((D, L), "above", "督办：派遣中心的上级中心"),
    "rate": _r((C, D), "reporter_or_centre", "评价：报事市民本人，或中心回访代录"),
    "reopen": _r((C, D), "reporter_or_centre", "重开：报事市民（办结后7天内），或中心"),
}


def action_name(action: str) -> str:
    """The Chinese name of an action for messages ("作废" from "作废（须写理由）：派遣中心")."""
    rule = PERMISSIONS.get(action)
    return re.split("[（：]", rule.note)[0] if rule else action


EVENT_FLOW = Flow(
    "event",
    _table,
    labels={**{code: zh for code, (zh, _) in STATUS_NAMES.items()}, **{a: action_name(a) for a in PERMISSIONS}},
)


def relation_holds(
    actor: Actor,
    relation: str,
    *,
    dispatcher_path: str,
    owner_unit_id: int,
    owner_department_id: int | None,
    reporter_user_id: int | None,
    event_id: int = 0,
) -> bool:
    if relation == "centre":
        return actor.sees_path(dispatcher_path)
    if relation == "above":
        return actor.sees_path(dispatcher_path) and actor.unit_path != dispatcher_path
    if relation == "assignee":
        if owner_department_id is not None:
            return actor.department_id == owner_department_id
        return actor.unit_id == owner_unit_id and actor.department_id is None
    if relation == "reporter_or_centre":
        if actor.has(Role.citizen):
            if actor.reporter_of is not None:
                return actor.reporter_of == event_id
            return reporter_user_id is not None and actor.user_id == reporter_user_id
        return actor.sees_path(dispatcher_path)
    return False


def permitted(actor: Actor, action: str, **relation: object) -> bool:
    rule = PERMISSIONS.get(action)
    if rule is None:
        return False
    if actor.is_system:
        return True
    return actor.has(*rule.roles) and relation_holds(actor, rule.relation, **relation)  # type: ignore[arg-type]
