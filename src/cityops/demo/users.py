"""Demo users: one per role and level, with printed credentials (demo databases only)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, Role
from cityops.core.auth import User, create_user
from cityops.org import service as org
from cityops.org.models import Department

DEMO_PASSWORD = "cityops2026"  # noqa: S105 (the demo city's published login)


class DemoUser(NamedTuple):
    username: str
    display_name: str
    roles: tuple[Role, ...]
    unit_code: str
    department_code: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "系统管理员", (Role.sysadmin,), "500000"),
    DemoUser("auditor", "安全审计员", (Role.auditor,), "500000"),
    DemoUser("city_leader", "市中心领导", (Role.leader,), "500000"),
    DemoUser("city_duty", "市中心值班员", (Role.dispatcher,), "500000"),
    DemoUser("yz_leader", "渝中区中心领导", (Role.leader,), "500103"),
    DemoUser("yz_duty", "渝中区中心值班员", (Role.dispatcher,), "500103"),
    DemoUser("yz_cg_handler", "渝中区城市管理局办理员", (Role.handler,), "500103", "urban_management"),
    DemoUser("jfb_duty", "解放碑街道值班员", (Role.dispatcher,), "500103003"),
    DemoUser("jfb_grid", "解放碑街道网格员", (Role.grid_worker,), "500103003"),
    DemoUser("data_admin", "数据管理员", (Role.data_admin,), "500000"),
    DemoUser("app_admin", "应用管理员", (Role.app_admin,), "500000"),
)


def ensure_demo_users(session: Session, actor: Actor) -> list[DemoUser]:
    """Create the demo users that do not exist yet; returns all of them."""
    existing = set(session.scalars(select(User.username)))
    for spec in DEMO_USERS:
        if spec.username in existing:
            continue
        unit = org.get_by_code(session, spec.unit_code)
        if unit is None:
            raise RuntimeError(f"org unit {spec.unit_code} missing: run `cityops org import chongqing`")
        dept_id = None
        if spec.department_code:
            dept_id = session.scalar(
                select(Department.id).where(Department.unit_id == unit.id, Department.code == spec.department_code)
            )
        create_user(
            session,
            actor,
            username=spec.username,
            password=DEMO_PASSWORD,
            roles=list(spec.roles),
            display_name=spec.display_name,
            unit_id=unit.id,
            department_id=dept_id,
        )
    return list(DEMO_USERS)
