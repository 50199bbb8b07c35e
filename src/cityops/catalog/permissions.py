"""Who may do what in the data catalogue (role × relation to the object). docs/permissions.md renders
this table (`python -m cityops.catalog.permissions`); a test keeps the two equal."""

from __future__ import annotations

from dataclasses import dataclass

from cityops.core.actor import Actor, Role

A, D, H, L, S, P = Role.data_admin, Role.dispatcher, Role.handler, Role.leader, Role.sysadmin, Role.app_admin
STAFF = frozenset({A, D, H, L, Role.grid_worker, S, P, Role.auditor})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    relation: str  # provider | visible | requester | grantee | reviewer
    note: str


def _r(roles: tuple[Role, ...] | frozenset[Role], relation: str, note: str) -> Rule:
    return Rule(frozenset(roles), relation, note)


PERMISSIONS: dict[str, Rule] = {
    "entry.edit": _r((A,), "provider", "编目、修改、导入目录：提供方部门（或中心）的数据管理员"),
    "entry.publish": _r((A,), "provider", "发布、撤回：提供方的数据管理员"),
    "entry.read": _r(STAFF, "visible", "查阅目录：本级、下级和上级单位的已发布资源；不予共享的信息项只对提供方显示"),
    "correction.file": _r(STAFF, "visible", "纠错：能查阅该资源的任何工作人员"),
    "correction.resolve": _r((A,), "provider", "处理纠错：提供方的数据管理员"),
    "request.submit": _r((A, D, H, L), "visible", "申请数据：部门或镇街的工作人员，对其能查阅的资源"),
    "request.withdraw": _r((A, D, H, L), "requester", "撤销申请：申请单位（部门）的工作人员"),
    "request.answer": _r((A,), "provider", "答复申请（同意 / 有条件同意 / 不予同意）：提供方的数据管理员"),
    "grant.read": _r(STAFF, "grantee", "凭授权读取数据：被授权单位（部门）的工作人员，只含授权字段"),
    "grant.revoke": _r((A,), "provider", "撤销授权：提供方的数据管理员"),
    "component.register": _r((A, P), "provider", "登记能力组件：提供方的数据或应用管理员"),
    "component.review": _r((P, S), "reviewer", "上架审核、下架：提供方所在或上级单位的应用管理员、系统管理员"),
}

RELATIONS = {
    "provider": "staff of the providing department (or of the providing centre, for its own entries)",
    "visible": "the entry's provider lies in the user's subtree or above it",
    "requester": "staff of the requesting unit (and department)",
    "grantee": "staff of the granted unit (and department), while the grant is valid and not revoked",
    "reviewer": "a unit at or above the provider's unit",
}


def is_provider(actor: Actor, department_id: int | None, unit_id: int) -> bool:
    """Same rule as an event's assignee: the department's staff, or the centre's own staff."""
    if department_id is not None:
        return actor.department_id == department_id
    return actor.unit_id == unit_id and actor.department_id is None


def is_party(actor: Actor, unit_id: int, department_id: int | None) -> bool:
    """The requesting / granted side: same unit, and same department when a department asked."""
    return actor.unit_id == unit_id and (department_id is None or actor.department_id == department_id)


def holds(actor: Actor, action: str) -> bool:
    return actor.is_system or actor.has(*PERMISSIONS[action].roles)


def render() -> str:
    lines = ["| action | roles | who, relative to the object |", "|---|---|---|"]
    for action, rule in PERMISSIONS.items():
        roles = ", ".join(sorted(rule.roles)) if rule.roles != STAFF else "any staff user"
        lines.append(f"| `{action}` | {roles} | {RELATIONS[rule.relation]} — {rule.note} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
