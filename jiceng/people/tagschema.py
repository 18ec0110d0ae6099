"""Care-tag field schemas (held as data on CareTagType) and validation of a tag's values."""

from __future__ import annotations

from datetime import date
from typing import Any

TYPES = {"text", "int", "number", "date", "bool", "choice"}


class SchemaError(ValueError):
    pass


def check_schema(schema: Any) -> None:
    """Refuse a schema a county admin wrote wrongly."""
    if not isinstance(schema, list):
        raise SchemaError("字段定义必须是列表")
    seen = set()
    for f in schema:
        if not isinstance(f, dict) or not f.get("name") or not f.get("label"):
            raise SchemaError(f"字段定义需要 name 和 label：{f!r}")
        if f["name"] in seen:
            raise SchemaError(f"字段 {f['name']} 重复")
        seen.add(f["name"])
        if f.get("type", "text") not in TYPES:
            raise SchemaError(f"字段 {f['name']} 的类型 {f.get('type')} 不受支持")
        if f.get("type") == "choice" and not f.get("choices"):
            raise SchemaError(f"选择字段 {f['name']} 需要 choices")


def clean(schema: list[dict], values: Any) -> dict:
    """Values checked and converted against the schema; raise SchemaError listing every problem.

    Unknown keys are refused (a typo must not silently drop data); empty optional fields
    are left out.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise SchemaError("标签字段必须是键值对")
    fields = {f["name"]: f for f in schema}
    problems = [f"未知字段：{k}" for k in values if k not in fields]
    out: dict[str, Any] = {}
    for name, f in fields.items():
        raw = values.get(name)
        label = f["label"]
        if raw is None or raw == "":
            if f.get("required"):
                problems.append(f"“{label}”为必填项")
            continue
        kind = f.get("type", "text")
        try:
            out[name] = _convert(kind, raw, f)
        except (ValueError, TypeError) as exc:
            problems.append(f"“{label}”{exc}")
    if problems:
        raise SchemaError("；".join(problems))
    return out


def _convert(kind: str, raw: Any, f: dict) -> Any:
    if kind == "text":
        s = str(raw).strip()
        if len(s) > int(f.get("max_length", 200)):
            raise ValueError("过长")
        return s
    if kind in ("int", "number"):
        if isinstance(raw, bool):
            raise ValueError("必须是数字")
        try:
            n: float = int(raw) if kind == "int" else float(raw)
        except (ValueError, TypeError):
            raise ValueError("必须是数字") from None
        if kind == "int" and isinstance(raw, float) and not raw.is_integer():
            raise ValueError("必须是整数")
        if "min" in f and n < f["min"]:
            raise ValueError(f"不能小于 {f['min']}")
        if "max" in f and n > f["max"]:
            raise ValueError(f"不能大于 {f['max']}")
        return n
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        s = str(raw).strip().lower()
        if s in ("1", "true", "yes", "是", "on"):
            return True
        if s in ("0", "false", "no", "否", "off"):
            return False
        raise ValueError("必须是“是”或“否”")
    if kind == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError("必须是日期（如 2024-05-01）") from None
    if kind == "choice":
        s = str(raw).strip()
        if s not in f["choices"]:
            raise ValueError(f"必须是以下之一：{'、'.join(map(str, f['choices']))}")
        return s
    raise ValueError("类型不受支持")


def display(schema: list[dict], values: dict) -> list[tuple[str, str]]:
    """(label, text) pairs in schema order, for pages."""
    out = []
    for f in schema:
        if f["name"] in values:
            v = values[f["name"]]
            if isinstance(v, bool):
                v = "是" if v else "否"
            out.append((f["label"], str(v)))
    return out
