"""The Actor: who is acting, with which roles, from which org unit. Handed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    citizen = "citizen"
    grid_worker = "grid_worker"
    handler = "handler"
    dispatcher = "dispatcher"
    leader = "leader"
    data_admin = "data_admin"
    app_admin = "app_admin"
    sysadmin = "sysadmin"
    auditor = "auditor"


STAFF_ROLES = frozenset(Role) - {Role.citizen}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    unit_id: int | None = None
    # Materialised path of the actor's org unit ("/1/23/456/"); "" means no jurisdiction at all.
    unit_path: str = ""
    unit_level: str = ""
    department_id: int | None = None
    # An anonymous citizen who proved to be the reporter of this event (reference + phone digits).
    reporter_of: int | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.username.startswith("system")

    def sees_path(self, path: str) -> bool:
        """True when `path` lies in this actor's subtree (its own unit included)."""
        return bool(self.unit_path) and path.startswith(self.unit_path)


def system_actor(name: str = "system", *, unit_path: str = "/", unit_id: int | None = None) -> Actor:
    """The platform itself (worker jobs, imports, simulator): all roles over the whole tree by default."""
    return Actor(
        user_id=None,
        username=name if name.startswith("system") else f"system:{name}",
        roles=frozenset(Role),
        unit_id=unit_id,
        unit_path=unit_path,
        unit_level="city",
    )
