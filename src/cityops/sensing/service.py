"""Device types and devices: seeding, registration (single and bulk), series, latest values, map layers."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect, bulk_insert
from cityops.core.errors import Forbidden, Invalid, NotFound, one_or_raise
from cityops.org import service as org
from cityops.org.models import Department, OrgUnit
from cityops.sensing.models import Alarm, Device, DeviceType, Rollup, Sector
from cityops.sensing.registry import registry_of
from cityops.sensing.rules import compile_rules, merge_specs

MAX_DEVICES_PER_BATCH = 200_000


class DeviceNotFound(NotFound):
    message = "设备不存在 / Device not found."
    default_code = "sensing.device_not_found"


def _require_admin(actor: Actor) -> None:
    if not actor.has(Role.sysadmin, Role.app_admin, Role.data_admin):
        raise Forbidden("仅管理员可登记设备 / Only admins register devices.", code="sensing.admin_required")


def update_type_rules(session: Session, actor: Actor, dtype: DeviceType, rules: list[dict[str, Any]]) -> DeviceType:
    _require_admin(actor)
    compile_rules(rules)
    dtype.rules, dtype.version = rules, dtype.version + 1
    audit.record(session, actor, "sensing.type_rules_set", ("device_type", dtype.code), rules=rules)
    registry_of(session).invalidate()
    return dtype


def set_device_rules(session: Session, actor: Actor, device: Device, rules: list[dict[str, Any]]) -> Device:
    _require_admin(actor)
    dtype = session.get(DeviceType, device.type_code)
    assert dtype is not None
    compile_rules(merge_specs(dtype.rules or [], rules))
    device.rules, device.version = rules, device.version + 1
    audit.record(session, actor, "sensing.device_rules_set", device, rules=rules)
    registry_of(session).invalidate()
    return device


def register(session: Session, actor: Actor, rows: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Register devices in bulk; each bad row is reported with its row number, field and reason."""
    _require_admin(actor)
    if len(rows) > MAX_DEVICES_PER_BATCH:
        raise Invalid(
            f"一次最多 {MAX_DEVICES_PER_BATCH} 台 / at most {MAX_DEVICES_PER_BATCH} devices per batch",
            field="body",
            code="sensing.invalid_body",
        )
    types = set(session.scalars(select(DeviceType.code)))
    codes = [str(r.get("code", "")).strip() for r in rows]
    existing = set()
    for i in range(0, len(codes), 1000):
        existing |= set(session.scalars(select(Device.code).where(Device.code.in_(codes[i : i + 1000]))))
    units: dict[str, tuple[int, str]] = {
        str(c): (uid, path)
        for c, uid, path in session.execute(
            select(OrgUnit.code, OrgUnit.id, OrgUnit.path).where(OrgUnit.valid_to.is_(None), OrgUnit.code.is_not(None))
        )
    }
    depts = {
        (uid, code): did
        for did, uid, code in session.execute(select(Department.id, Department.unit_id, Department.code))
    }
    sectors = {s.value for s in Sector}
    now, good, errors = clock.now(), [], []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        try:
            good.append(_device_row(row, types, existing | seen, units, depts, sectors, actor, now))
            seen.add(good[-1]["code"])
        except Invalid as exc:
            errors.append({"row": n, "field": exc.data.get("field", ""), "reason": exc.detail})
    bulk_insert(session, Device, good)
    if good:
        audit.record(session, actor, "sensing.devices_registered", ("device", "*"), count=len(good))
    return len(good), errors


def _device_row(
    row: dict[str, Any],
    types: set[str],
    taken: set[str],
    units: dict[str, tuple[int, str]],
    depts: dict[tuple[int, str], int],
    sectors: set[str],
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    code = str(row.get("code") or "").strip()
    if not code or len(code) > 64:
        raise Invalid(
            "设备编码必填且不超过64字 / code is required (≤ 64 chars)", field="code", code="sensing.invalid_code"
        )
    if code in taken:
        raise Invalid("设备编码重复 / duplicate device code", field="code", code="sensing.invalid_code")
    dtype = str(row.get("type") or "")
    if dtype not in types:
        raise Invalid(f"未知设备类型 / unknown device type {dtype!r}", field="type", code="sensing.invalid_type")
    unit = units.get(str(row.get("unit_code") or ""))
    if unit is None:
        raise Invalid("未知单位代码 / unknown unit_code", field="unit_code", code="sensing.invalid_unit_code")
    if not actor.sees_path(unit[1]):
        raise Invalid(
            "单位不在您的辖区 / unit_code is outside your jurisdiction",
            field="unit_code",
            code="sensing.invalid_unit_code",
        )
    lon, lat = _coord(row.get("lon"), "lon", 180), _coord(row.get("lat"), "lat", 90)
    sector = str(row.get("sector") or "") or None
    if sector is not None and sector not in sectors:
        raise Invalid(
            f"生命线领域须为 {'、'.join(sorted(sectors))} / unknown sector",
            field="sector",
            code="sensing.invalid_sector",
        )
    dept_id = None
    if row.get("department_code"):
        district_id = int(unit[1].strip("/").split("/")[1]) if unit[1].count("/") > 2 else unit[0]
        dept_id = depts.get((district_id, str(row["department_code"])))
        if dept_id is None:
            raise Invalid(
                "该区县无此部门 / no such department in the unit's district",
                field="department_code",
                code="sensing.invalid_department_code",
            )
    return {
        "code": code,
        "type_code": dtype,
        "name": str(row.get("name") or code)[:120],
        "lon": lon,
        "lat": lat,
        "unit_id": unit[0],
        "unit_path": unit[1],
        "department_id": dept_id,
        "sector": sector,
        "status": "active",
        "rules": [],
        "version": 1,
        "last_value": None,
        "last_ts": None,
        "created_at": now,
    }


def _coord(value: Any, field: str, limit: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(
            f"{field} 须为数字 / {field} must be a number", field=field, code="sensing.not_a_number"
        ) from None
    if not -limit <= number <= limit:
        raise Invalid(f"{field} 超出范围 / {field} out of range", field=field, code="sensing.out_of_range")
    return number


def parse_device_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("code", "type", "unit_code") if f not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(
            f"CSV 缺少列 / CSV lacks the column {missing[0]}", field=missing[0], code="sensing.csv_missing_column"
        )
    return [dict(r) for r in reader]


def scoped_devices(actor: Actor) -> AnySelect:
    return org.scoped(select(Device), Device.unit_path, actor)


def access_device(session: Session, actor: Actor, device_id: int) -> Device:
    found: Device = one_or_raise(
        session, scoped_devices(actor).where(Device.id == device_id), DeviceNotFound(device_id=device_id)
    )
    return found


def scoped_alarms(actor: Actor) -> AnySelect:
    return org.scoped(select(Alarm), Alarm.unit_path, actor)


def access_alarm(session: Session, actor: Actor, alarm_id: int) -> Alarm:
    found: Alarm = one_or_raise(
        session,
        scoped_alarms(actor).where(Alarm.id == alarm_id),
        NotFound("告警不存在 / Alarm not found.", alarm_id=alarm_id, code="alarm.not_found"),
    )
    return found


def series(session: Session, device: Device, *, period: str, since: datetime, until: datetime) -> list[Rollup]:
    stmt = (
        select(Rollup)
        .where(Rollup.device_id == device.id, Rollup.period == period, Rollup.bucket >= since, Rollup.bucket <= until)
        .order_by(Rollup.bucket)
    )
    return list(session.scalars(stmt.limit(5000)))


def counts_by_status(session: Session, actor: Actor) -> dict[str, int]:
    stmt = org.scoped(select(Device.status, func.count()).group_by(Device.status), Device.unit_path, actor)
    return {s: int(n) for s, n in session.execute(stmt)}


def readings_after(
    session: Session, device_ids: list[int], after_id: int, *, limit: int = 5000
) -> list[tuple[int, int, datetime, float]]:
    """(reading id, device id, ts, value) of these devices' readings stored after `after_id`, oldest first:
    what a domain scanning its own devices with a cursor reads (muck trucks' GPS channels)."""
    from cityops.sensing.models import Reading

    if not device_ids:
        return []
    rows = session.execute(
        select(Reading.id, Reading.device_id, Reading.ts, Reading.value)
        .where(Reading.id > after_id, Reading.device_id.in_(device_ids))
        .order_by(Reading.id)
        .limit(limit)
    ).all()
    return [(int(i), int(d), ts, float(v)) for i, d, ts, v in rows]
