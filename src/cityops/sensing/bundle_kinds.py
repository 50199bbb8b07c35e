"""Device types with their rules as app-bundle content. Rules a city tuned on a type are kept on upgrade by
the installer's three-way merge; per-device overrides live on the devices and are never touched."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler, in_use
from cityops.sensing.models import Device, DeviceType
from cityops.sensing.registry import registry_of
from cityops.sensing.rules import compile_rules

FIELDS = ("name", "unit", "expected_interval_s", "sector", "category_code", "min_value", "max_value", "rules")


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    rows = session.scalars(select(DeviceType).where(DeviceType.code.in_(keys)))
    return {t.code: {"code": t.code, **{f: getattr(t, f) for f in FIELDS}} for t in rows}


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    for item in items:
        compile_rules(item.get("rules") or [])
        dtype = session.get(DeviceType, item["code"])
        if dtype is None:
            dtype = DeviceType(code=item["code"], version=0)
            session.add(dtype)
        for f in FIELDS:
            setattr(dtype, f, item.get(f) if f != "rules" else list(item.get("rules") or []))
        dtype.version = (dtype.version or 0) + 1
    session.flush()
    registry_of(session).invalidate()


def dependents(session: Session, keys: list[str]) -> list[str]:
    says = "「{name}」设备 {n} 台 / {n} devices of type {name}"
    return in_use(session, keys, DeviceType, Device, Device.type_code == DeviceType.code, says=says)


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    for dtype in session.scalars(select(DeviceType).where(DeviceType.code.in_(keys))):
        session.delete(dtype)
    session.flush()
    audit.record(session, actor, "sensing.types_removed", ("device_type", "*"), codes=keys)
    registry_of(session).invalidate()


def kinds() -> list[KindHandler]:
    return [
        KindHandler("device_types", "设备类型与规则", "Device types and rules", 40, read, write, dependents, remove)
    ]
