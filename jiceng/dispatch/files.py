"""The CSV formats of the routing commands (as in the 政务留言 data, UTF-8, header row).

- labelled: `id,subject,body,category` (other columns ignored; `subject` optional)
- unlabelled: `id,subject,body` (+ anything)
- replies: `id,subject,body,reply` (+ anything)
- taxonomy: `level1,level2,level3`
- classify output: `id,category,score,category_2,score_2,category_3,score_3`

A file that lacks a needed column raises FileFormatError naming it (Chinese).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

OUTPUT_COLUMNS = ["id", "category", "score", "category_2", "score_2", "category_3", "score_3"]


class FileFormatError(ValueError):
    pass


def _rows(path: str | Path, needed: tuple[str, ...]) -> list[dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"找不到文件：{p}")
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            cols = set(reader.fieldnames or [])
            missing = [c for c in needed if c not in cols]
            if missing:
                raise FileFormatError(
                    f"{p.name} 缺少列：{', '.join(missing)}（现有列：{', '.join(sorted(cols))}）"
                )
            return [{k: (v or "") for k, v in r.items() if k is not None} for r in reader]
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{p.name} 不是 UTF-8 编码的 CSV 文件") from exc
    except csv.Error as exc:
        raise FileFormatError(f"{p.name} 不是有效的 CSV 文件：{exc}") from exc


def message_text(row: dict[str, str]) -> str:
    """Subject and body as one text (the subject is the caller's own summary: it counts)."""
    subject = (row.get("subject") or "").strip()
    body = (row.get("body") or "").strip()
    return f"{subject}。{body}" if subject and body else subject or body


def read_labelled(path: str | Path) -> list[tuple[str, str, str]]:
    """[(id, text, category)]"""
    return [
        (r.get("id", ""), message_text(r), r["category"].strip())
        for r in _rows(path, ("body", "category"))
    ]


def read_messages(path: str | Path) -> list[tuple[str, str]]:
    """[(id, text)] — for classify and for unlabelled history."""
    return [(r.get("id", ""), message_text(r)) for r in _rows(path, ("body",))]


def read_replies(path: str | Path) -> list[tuple[str, str]]:
    """[(text, reply)]"""
    return [(message_text(r), r["reply"]) for r in _rows(path, ("body", "reply"))]


def read_taxonomy(path: str | Path) -> list[str]:
    """Category paths 一级/二级/三级 (empty levels dropped)."""
    out = []
    for r in _rows(path, ("level1",)):
        names = [r.get(k, "").strip() for k in ("level1", "level2", "level3")]
        names = [n for n in names if n]
        if names:
            out.append("/".join(names))
    return out


def write_classified(path: str | Path, rows: list[tuple[str, list[tuple[str, float]]]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(OUTPUT_COLUMNS)
        for rid, top in rows:
            cells: list[str] = [rid]
            for i in range(3):
                if i < len(top):
                    cells += [top[i][0], f"{top[i][1]:.4f}"]
                else:
                    cells += ["", ""]
            w.writerow(cells)
