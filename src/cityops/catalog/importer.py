"""Excel import of a department's 目录 sheet (the 编制指南 template's columns): good rows become draft
entries of the importing data_admin's department, bad rows come back by their Excel row number."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cityops.catalog import service
from cityops.catalog.permissions import holds
from cityops.catalog.schemas import EntryIn, ImportResult, ImportRowError
from cityops.catalog.vocab import OPEN_BY_LABEL, SHARE_BY_LABEL
from cityops.core.actor import Actor
from cityops.core.errors import CityOpsError, Forbidden, Invalid

SHEET = "目录"
MAX_ROWS = 5000
# column header -> EntryIn field
COLUMNS = {
    "信息资源代码": "code",
    "信息资源名称": "title",
    "信息资源分类": "classification",
    "信息资源摘要": "summary",
    "信息资源格式": "format_class",
    "格式类型": "format",
    "更新周期": "update_cycle",
    "共享属性": "share_type",
    "共享条件": "share_condition",
    "开放属性": "open_type",
    "开放条件": "open_condition",
    "关联资源代码": "related_codes",
    "信息项": "items",
}
REQUIRED = ("信息资源代码", "信息资源名称", "信息资源分类", "信息资源摘要", "共享属性", "信息项")
LABEL_OF = {v: k for k, v in COLUMNS.items()}


def _items(cell: str) -> list[dict[str, str]]:
    """ "name|信息项名称|数据类型|共享属性|条件" entries separated by newlines or ；/;"""
    out = []
    for part in [p.strip() for p in cell.replace("；", "\n").replace(";", "\n").splitlines() if p.strip()]:
        bits = [b.strip() for b in part.split("|")]
        if len(bits) < 3:
            raise ValueError(f"信息项「{part}」应写成 英文名|名称|数据类型[|共享属性|条件]")
        share = SHARE_BY_LABEL.get(bits[3], bits[3]) if len(bits) > 3 and bits[3] else "unconditional"
        out.append(
            {
                "name": bits[0],
                "label": bits[1],
                "type": bits[2],
                "share_type": share,
                "share_condition": "|".join(bits[4:]),
            }
        )
    return out


def _row_to_entry(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {COLUMNS[k]: v for k, v in values.items() if k in COLUMNS and v != ""}
    if "share_type" in data:
        data["share_type"] = SHARE_BY_LABEL.get(data["share_type"], data["share_type"])
    if "open_type" in data:
        data["open_type"] = OPEN_BY_LABEL.get(data["open_type"], data["open_type"])
    data["related_codes"] = [
        c.strip() for c in str(data.get("related_codes", "")).replace("，", ",").split(",") if c.strip()
    ]
    data["items"] = _items(str(data.get("items", "")))
    data.setdefault("format_class", "电子表格")
    data.setdefault("format", "xlsx")
    data.setdefault("update_cycle", "不定期")
    return data


def _field_label(loc: tuple[Any, ...]) -> str:
    name = str(loc[0]) if loc else ""
    return LABEL_OF.get(name, name or "行 / row")


def import_sheet(session: Session, actor: Actor, content: bytes, *, department_id: int | None = None) -> ImportResult:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(
            "不是有效的 Excel (.xlsx) 文件 / not an .xlsx workbook", field="file", code="catalog.not_xlsx"
        ) from exc
    if SHEET not in book.sheetnames:
        raise Invalid(f"工作簿中没有「{SHEET}」工作表 / no sheet named {SHEET}", field="file", code="catalog.no_sheet")
    rows = book[SHEET].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(
            f"缺少列：{'、'.join(missing)} / missing columns", field="file", code="catalog.columns", missing=missing
        )
    if not holds(actor, "entry.edit"):
        raise Forbidden("只有数据管理员可以导入目录 / only a data_admin imports", code="catalog.entry_edit_role")
    service.provider_of(session, actor, department_id)  # refuses a department that is not the importer's
    created, errors = 0, []
    for number, raw in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            errors.append(
                ImportRowError(row=number, field="行 / row", reason=f"最多导入 {MAX_ROWS} 行 / too many rows")
            )
            break
        values = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, raw, strict=False) if h}
        if not any(values.values()):
            continue
        try:
            data = EntryIn.model_validate({**_row_to_entry(values), "department_id": department_id})
            with session.begin_nested():
                service.create_entry(session, actor, data)
            created += 1
        except ValidationError as exc:
            first = exc.errors()[0]
            errors.append(ImportRowError(row=number, field=_field_label(first["loc"]), reason=str(first["msg"])))
        except ValueError as exc:
            errors.append(ImportRowError(row=number, field="信息项", reason=str(exc)))
        except CityOpsError as exc:
            errors.append(
                ImportRowError(row=number, field=_field_label((exc.data.get("field", ""),)), reason=exc.detail)
            )
    return ImportResult(created=created, errors=errors)
