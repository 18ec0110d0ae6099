"""The catalogue as an Excel workbook: export, and import whole-or-nothing.

Workbook: sheet 「事项」 one row per item (the ten guide elements and the flow), sheet
「材料」 one row per material, keyed by 事项编码. Import reads every row first (python-calamine,
openpyxl as fallback), checks each through the same `GuideIn` rules as the API, and either
publishes everything in one transaction or nothing, with every error named by sheet and row
number in Chinese. Export neutralises cells that a spreadsheet would run as a formula
(OWASP "CSV injection": a text starting with = + - @ tab or CR gets a leading apostrophe).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from pydantic import ValidationError

from jiceng.servicehall import catalogue
from jiceng.servicehall.schemas import LEVEL_FROM_ZH, LEVEL_ZH, GuideIn, MaterialIn

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

# (column header, GuideIn field, kind)
ITEM_COLUMNS: list[tuple[str, str, str]] = [
    ("事项编码", "code", "str"),
    ("事项名称", "name", "str"),
    ("实施部门", "department", "str"),
    ("主题分类", "topic", "str"),
    ("办理依据", "basis", "str"),
    ("办理条件", "conditions", "str"),
    ("受理单位", "accepting_unit", "str"),
    ("办理地点", "place", "str"),
    ("基本流程", "process", "str"),
    ("收费依据及标准", "fees", "str"),
    ("法定时限（工作日）", "legal_days", "int"),
    ("承诺时限（工作日）", "promised_days", "int"),
    ("工作时间", "hours", "str"),
    ("咨询电话", "enquiry_phone", "str"),
    ("监督电话", "supervision_phone", "str"),
    ("受理层级", "accept_levels", "levels"),
    ("流转层级", "flow", "levels"),
    ("可容缺受理", "allows_pending", "bool"),
    ("容缺补齐期限（工作日）", "pending_days", "int"),
    ("可中止", "may_suspend", "bool"),
    ("可延期", "may_extend", "bool"),
    ("最长延期（工作日）", "extension_days", "int"),
    ("版本说明", "note", "str"),
]
MATERIAL_COLUMNS: list[tuple[str, str, str]] = [
    ("事项编码", "code", "str"),
    ("材料名称", "name", "str"),
    ("份数", "copies", "int"),
    ("需原件", "original", "bool"),
    ("必需", "required", "bool"),
    ("可容缺", "pendable", "bool"),
    ("可免提交证照", "on_file_kind", "str"),
]
LABEL = {f: h for h, f, _ in ITEM_COLUMNS} | {f: h for h, f, _ in MATERIAL_COLUMNS}
YES = {"是", "Y", "y", "yes", "true", "True", "1", "√"}
NO = {"否", "N", "n", "no", "false", "False", "0", ""}
LEVEL_SEP = ("→", "->", "、", ",", "，", " ", "/")


class ImportRefused(Exception):
    """The workbook was refused; nothing was written. `errors` are Chinese, row-numbered."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors[:5]))


@dataclass
class ImportResult:
    items: int = 0
    published: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _convert(raw: str, kind: str, where: str, header: str, errors: list[str]) -> Any:
    if kind == "int":
        if raw == "":
            return None
        try:
            return int(float(raw))
        except ValueError:
            errors.append(f"{where}：「{header}」应为整数，实际为「{raw}」")
            return None
    if kind == "bool":
        if raw in YES:
            return True
        if raw in NO:
            return False
        errors.append(f"{where}：「{header}」应填“是”或“否”，实际为「{raw}」")
        return None
    if kind == "levels":
        text = raw
        for sep in LEVEL_SEP:
            text = text.replace(sep, "|")
        parts = [p for p in text.split("|") if p]
        bad = [p for p in parts if p not in LEVEL_FROM_ZH]
        if bad:
            errors.append(f"{where}：「{header}」只能是 村、乡镇、县，实际为「{'、'.join(bad)}」")
            return None
        return [LEVEL_FROM_ZH[p] for p in parts]
    return raw


def _sheets(data: bytes) -> dict[str, list[list[Any]]]:
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            [gettext("文件超过 %(value)s MB，请拆分后导入") % {"value": MAX_BYTES // 1024 // 1024}]
        )
    if not data.startswith(b"PK"):
        raise ImportRefused([gettext("文件不是 Excel 工作簿（.xlsx），请用导出的模板填写")])
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    except Exception:  # noqa: BLE001 - a broken file: try openpyxl before refusing
        pass
    try:
        from openpyxl import load_workbook

        owb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in owb}
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ImportRefused(
            [gettext("无法读取 Excel 文件：%(__name__)s") % {"__name__": type(exc).__name__}]
        ) from exc


def _rows(
    sheet: str, rows: list[list[Any]], columns: list[tuple[str, str, str]], errors: list[str]
) -> list[tuple[int, dict[str, Any]]]:
    if not rows:
        errors.append(f"工作表「{sheet}」是空的")
        return []
    header = [_cell(h) for h in rows[0]]
    index: dict[str, int] = {}
    for h, _f, _k in columns:
        if h in header:
            index[h] = header.index(h)
    missing = [h for h, _f, _k in columns if h not in index and h not in ("主题分类", "版本说明")]
    if missing:
        errors.append(f"工作表「{sheet}」第 1 行：缺少列 {'、'.join(missing)}")
        return []
    if len(rows) - 1 > MAX_ROWS:
        errors.append(f"工作表「{sheet}」超过 {MAX_ROWS} 行")
        return []
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        where = f"「{sheet}」第 {n} 行"
        rec: dict[str, Any] = {}
        for h, f, kind in columns:
            if h not in index:
                continue
            i = index[h]
            raw = cells[i] if i < len(cells) else ""
            val = _convert(raw, kind, where, h, errors)
            if val is not None and val != "":
                rec[f] = val
        out.append((n, rec))
    return out


_MESSAGES = {
    "missing": "不能为空",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确（只能用字母、数字、-、_）",
    "greater_than_equal": "太小",
    "less_than_equal": "太大",
    "too_short": "不能为空",
    "literal_error": "取值不正确",
    "int_parsing": "应为整数",
}


def _explain(where: str, errs: list[Any]) -> list[str]:
    out = []
    for e in errs:
        loc = [str(x) for x in e.get("loc", ())]
        if e["type"] == "value_error":
            msg = str(e.get("msg", "")).removeprefix("Value error, ")
            out.append(f"{where}：{msg}")
            continue
        label = LABEL.get(loc[-1], loc[-1]) if loc else ""
        out.append(f"{where}：「{label}」{_MESSAGES.get(e['type'], '不正确')}")
    return out


def parse(data: bytes) -> list[GuideIn]:
    """Every guide in the workbook, or ImportRefused listing every error found."""
    sheets = _sheets(data)
    errors: list[str] = []
    for name in ("事项", "材料"):
        if name not in sheets:
            errors.append(f"缺少工作表「{name}」（请使用导出的模板）")
    if errors:
        raise ImportRefused(errors)
    items = _rows("事项", sheets["事项"], ITEM_COLUMNS, errors)
    mats = _rows("材料", sheets["材料"], MATERIAL_COLUMNS, errors)
    by_code: dict[str, list[MaterialIn]] = {}
    mat_rows: dict[str, list[int]] = {}
    for n, rec in mats:
        code = rec.pop("code", "")
        mat_rows.setdefault(code, []).append(n)
        try:
            by_code.setdefault(code, []).append(MaterialIn(**rec))
        except ValidationError as exc:
            errors += _explain(f"「材料」第 {n} 行", exc.errors())  # type: ignore[arg-type]
    seen: dict[str, int] = {}
    guides = []
    for n, rec in items:
        where = f"「事项」第 {n} 行"
        code = rec.get("code", "")
        if code in seen:
            errors.append(f"{where}：事项编码 {code} 与第 {seen[code]} 行重复")
            continue
        seen[code] = n
        rec["materials"] = by_code.get(code, [])
        try:
            guides.append(GuideIn(**rec))
        except ValidationError as exc:
            errors += _explain(where, exc.errors())  # type: ignore[arg-type]
    for code, rows in mat_rows.items():
        if code not in seen:
            for n in rows:
                errors.append(f"「材料」第 {n} 行：事项编码「{code}」在「事项」表中不存在")
    if not items and not errors:
        errors.append("「事项」表没有任何事项")
    if errors:
        raise ImportRefused(errors)
    return guides


def import_catalogue(data: bytes, user=None) -> ImportResult:
    """Parse and publish every guide in one transaction (whole or nothing)."""
    guides = parse(data)
    res = ImportResult(items=len(guides))
    with transaction.atomic():
        for g in guides:
            _, created = catalogue.publish(g, user)
            res.published += int(created)
            res.unchanged += int(not created)
            res.codes.append(g.code)
    return res


DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """A cell value a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _export_value(v: Any, kind: str) -> Any:
    if kind == "bool":
        return "是" if v else "否"
    if kind == "levels":
        return "→".join(LEVEL_ZH[x] for x in v)
    return safe(v)


def export_catalogue() -> bytes:
    """The catalogue in force as an .xlsx (the import's own format)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "事项"
    ws.append([h for h, _f, _k in ITEM_COLUMNS])
    wm = wb.create_sheet("材料")
    wm.append([h for h, _f, _k in MATERIAL_COLUMNS])
    for item in catalogue.published():
        assert item.current is not None
        g = catalogue.guide_from_version(item.current)
        ws.append([_export_value(getattr(g, f), k) for _h, f, k in ITEM_COLUMNS])
        for m in g.materials:
            wm.append(
                [safe(g.code)]
                + [_export_value(getattr(m, f), k) for _h, f, k in MATERIAL_COLUMNS[1:]]
            )
    for sheet in (ws, wm):
        for c in sheet[1]:
            c.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
