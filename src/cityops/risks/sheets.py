"""Import and export of the register as XLSX (openpyxl) and CSV, and the 城市运行安全风险清单 of a district.

One header row, Chinese or English column names; every data row becomes a point or a row error
`{row, field, reason}` where `row` is the sheet's own row number (the header is row 1). Each row is written
in its own savepoint, so a bad row never takes good ones with it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import bodies, xlsx
from cityops.core.actor import Actor
from cityops.core.errors import CityOpsError, Invalid
from cityops.events.calendar import CST
from cityops.org import service as org
from cityops.org.models import OrgUnit
from cityops.risks import matrix
from cityops.risks import service as points
from cityops.risks.models import RiskCategory, RiskPoint

MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024
COLUMNS: list[tuple[str, str, str]] = [  # key, Chinese header, English header
    ("ref", "编号", "ref"),
    ("name", "风险点名称", "name"),
    ("category", "风险类别", "category"),
    ("unit_code", "所在单位代码", "unit_code"),
    ("unit_name", "所在单位", "unit_name"),
    ("address", "地址", "address"),
    ("lon", "经度", "lon"),
    ("lat", "纬度", "lat"),
    ("likelihood", "可能性", "likelihood"),
    ("consequence", "后果严重性", "consequence"),
    ("level", "风险等级", "level"),
    ("responsible_person", "责任人", "responsible_person"),
    ("responsible_phone", "联系电话", "responsible_phone"),
    ("control_measures", "管控措施", "control_measures"),
    ("cycle_days", "巡查周期（天）", "cycle_days"),
    ("device_codes", "关联设备", "device_codes"),
    ("plan_keys", "关联预案", "plan_keys"),
    ("reasons", "评估理由", "reasons"),
]
READ_ONLY = {"ref", "unit_name", "level"}  # exported for people; ignored on import
HEADER = {h: key for key, zh, en in COLUMNS for h in (zh, en)}
REQUIRED = ("name", "category", "unit_code", "likelihood", "consequence")


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    if len(data) > MAX_BYTES:
        raise Invalid("文件不超过10MB / the file must be at most 10 MB", field="file", code="risk.invalid_file")
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx(data)
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(
                "CSV 须为 UTF-8 编码 / the CSV must be UTF-8", field="file", code="risk.invalid_file"
            ) from None
        with bodies.readable_csv(field="file", code="risk.invalid_file"):
            table = list(csv.reader(io.StringIO(text)))
    else:
        raise Invalid(
            "请上传 .xlsx 或 .csv 文件 / upload an .xlsx or .csv file", field="file", code="risk.invalid_file"
        )
    if not table:
        raise Invalid("文件为空 / the file is empty", field="file", code="risk.invalid_file")
    header = [str(h or "").strip() for h in table[0]]
    unknown = [h for h in header if h and h not in HEADER]
    if unknown:
        raise Invalid(
            f"未知列「{unknown[0]}」/ unknown column {unknown[0]!r}",
            field="file",
            column=unknown[0],
            code="risk.invalid_file",
        )
    keys = [HEADER.get(h) for h in header]
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        raise Invalid(
            f"缺少列 {missing[0]} / the sheet lacks the column {missing[0]}",
            field="file",
            column=missing[0],
            code="risk.invalid_file",
        )
    if len(table) - 1 > MAX_ROWS:
        raise Invalid(f"一次最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows", field="file", code="risk.invalid_file")
    out = []
    for n, cells in enumerate(table[1:], start=2):
        row = {k: c for k, c in zip(keys, cells, strict=False) if k and k not in READ_ONLY and c not in (None, "")}
        if row:
            out.append((n, row))
    return out


def _xlsx(data: bytes) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise Invalid(
            "无法读取 XLSX 文件 / the file is not a readable .xlsx workbook", field="file", code="risk.invalid_file"
        ) from None
    ws = wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _int(row: dict[str, Any], key: str) -> int:
    value = row.get(key)
    try:
        number = float(str(value).strip())
    except ValueError:
        raise Invalid(f"{key} 须为整数 / {key} must be a whole number", field=key, code="risk.not_an_integer") from None
    if number != int(number):
        raise Invalid(f"{key} 须为整数 / {key} must be a whole number", field=key, code="risk.not_an_integer")
    return int(number)


def _float(row: dict[str, Any], key: str) -> float | None:
    if key not in row:
        return None
    try:
        return float(str(row[key]).strip())
    except ValueError:
        raise Invalid(f"{key} 须为数字 / {key} must be a number", field=key, code="risk.not_a_number") from None


def _list(value: Any) -> tuple[str, ...]:
    return tuple(p.strip() for p in str(value or "").replace("；", ";").replace(",", ";").split(";") if p.strip())


def to_input(session: Session, actor: Actor, row: dict[str, Any], units: dict[str, int]) -> points.PointInput:
    for key in REQUIRED:
        if not str(row.get(key, "")).strip():
            raise Invalid(f"缺少{key} / {key} is required", field=key, code="risk.value_required")
    code = str(row["unit_code"]).strip()
    if code not in units:
        unit = org.get_by_code(session, code)
        if unit is None or not actor.sees_path(unit.path):
            raise Invalid(
                f"单位代码不存在或不在辖区内 / unknown unit_code {code}",
                field="unit_code",
                code="risk.invalid_unit_code",
            )
        units[code] = unit.id
    category = str(row["category"]).strip()
    by_name = session.scalar(
        select(RiskCategory.code).where(RiskCategory.name == category, RiskCategory.parent_id.is_not(None))
    )
    return points.PointInput(
        name=str(row["name"]).strip(),
        category=by_name or category,
        unit_id=units[code],
        likelihood=matrix.check_factor(_int(row, "likelihood"), "likelihood"),
        consequence=matrix.check_factor(_int(row, "consequence"), "consequence"),
        address=str(row.get("address", "")).strip(),
        lon=_float(row, "lon"),
        lat=_float(row, "lat"),
        responsible_person=str(row.get("responsible_person", "")),
        responsible_phone=str(row.get("responsible_phone", "")),
        control_measures=str(row.get("control_measures", "")),
        cycle_days=_int(row, "cycle_days") if "cycle_days" in row else None,
        device_codes=_list(row.get("device_codes")),
        plan_keys=_list(row.get("plan_keys")),
        reasons=str(row.get("reasons", "")).strip() or "批量导入 / imported",
    )


def import_points(session: Session, actor: Actor, data: bytes, filename: str) -> dict[str, Any]:
    points.require_editor(actor)
    created, errors = 0, []
    units: dict[str, int] = {}
    for n, row in read_rows(data, filename):
        try:
            with session.begin_nested():
                points.create_point(session, actor, to_input(session, actor, row, units), trigger="import")
            created += 1
        except CityOpsError as exc:
            errors.append({"row": n, "field": str(exc.data.get("field", "")), "reason": exc.detail})
    return {"created": created, "errors": errors}


# -- export --------------------------------------------------------------------------------------------
def rows_for(session: Session, items: Iterable[RiskPoint]) -> list[list[Any]]:
    from cityops.risks.models import RiskPointDevice
    from cityops.sensing.models import Device

    cats = {c.id: c for c in session.scalars(select(RiskCategory))}
    units: dict[int, OrgUnit | None] = {}
    out = []
    for p in items:
        if p.unit_id not in units:
            units[p.unit_id] = session.get(OrgUnit, p.unit_id)
        unit = units[p.unit_id]
        devices = session.scalars(
            select(Device.code)
            .join(RiskPointDevice, RiskPointDevice.device_id == Device.id)
            .where(RiskPointDevice.point_id == p.id)
        )
        values = {
            "ref": p.ref,
            "name": p.name,
            "category": cats[p.category_id].code,
            "unit_code": unit.code if unit else "",
            "unit_name": unit.name if unit else "",
            "address": p.address,
            "lon": p.lon,
            "lat": p.lat,
            "likelihood": p.likelihood,
            "consequence": p.consequence,
            "level": matrix.LEVEL_NAME[p.level],
            "responsible_person": p.responsible_person,
            "responsible_phone": p.responsible_phone,
            "control_measures": p.control_measures,
            "cycle_days": p.cycle_days,
            "device_codes": ";".join(devices),
            "plan_keys": ";".join(p.plan_keys or []),
            "reasons": "",
        }
        out.append([values[k] for k, _, _ in COLUMNS])
    return out


def to_csv(session: Session, items: Iterable[RiskPoint]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([zh for _, zh, _ in COLUMNS])
    writer.writerows(rows_for(session, items))
    return "\ufeff" + buf.getvalue()  # a BOM so spreadsheet programs read the Chinese as UTF-8


def to_xlsx(session: Session, items: Iterable[RiskPoint], *, title: str = "风险清单") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append([zh for _, zh, _ in COLUMNS])
    for row in rows_for(session, items):
        ws.append(xlsx.cells(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def district_report(session: Session, actor: Actor, unit: OrgUnit, now: datetime) -> bytes:
    """城市运行安全风险清单 of one district (or street): a summary per street, then the list by level."""
    from openpyxl import Workbook

    from cityops.risks.figures import figures

    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    summary.append([f"{unit.name}城市运行安全风险清单"])
    summary.append([f"生成时间 {now.astimezone(CST):%Y-%m-%d %H:%M}（北京时间）"])
    summary.append(
        [
            "单位",
            "风险点",
            *[matrix.LEVEL_NAME[lv] for lv in matrix.LEVELS],
            "巡查超期",
            "未销号重大隐患",
            "本年隐患整改率",
        ]
    )
    children = list(session.scalars(org.list_children(session, actor, unit))) or [unit]
    for child in [unit, *children] if children != [unit] else [unit]:
        f = figures(session, child.path, now)
        rate = f"{f.rectification_rate:.1%}" if f.rectification_rate is not None else "—"
        counts = [child.name, f.points, *[f.by_level[lv] for lv in matrix.LEVELS], f.overdue_inspections]
        summary.append(xlsx.cells([*counts, f.open_major_hazards, rate]))
    listing = wb.create_sheet("清单")
    listing.append([zh for _, zh, _ in COLUMNS])
    stmt = points.list_points(session, actor, points.PointFilter(unit_id=unit.id))
    for row in rows_for(session, session.scalars(stmt)):
        listing.append(xlsx.cells(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
