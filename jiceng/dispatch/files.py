"""The table files of the routing commands (as in the 政务留言 data, header row).

Columns (by name, in any order; other columns are ignored; names compared without case,
spaces, `_` or `-`, and the Chinese names of the original 政务留言 tables are accepted):

- labelled: `id,subject,body,category` — `subject` or `body` (at least one) and `category`
- unlabelled / classify input: `id,subject,body` — `subject` or `body` (at least one)
- replies: `id,subject,body,reply`
- taxonomy: `level1,level2,level3`
- classify output: `id,category,score,category_2,score_2,category_3,score_3`

A file to classify is read for its words only: a `category` column in it (the labelled
file's shape) is never read by `read_messages`.

What is accepted, as a kind (decision 0096): CSV in UTF-8 (with or without BOM), UTF-16 (BOM;
or without, spotted by its NUL bytes) or GBK/GB18030 (`jiceng.lib.textfile`); comma, tab,
semicolon or `|` separated (the one that makes the header's names known); CRLF, LF or CR line
ends; quoted fields over several lines; an Excel workbook (.xlsx/.xlsm/.xls/.ods, found by
its first bytes, whatever the file's name says; the first sheet with rows) — the same files
`jiceng import_residents` takes. Rows whose cells are all empty are skipped.

Without an `id` column the rows are numbered 1, 2, 3 … (data rows, the header not counted,
empty rows skipped) and a notice says so; duplicate ids are kept, one output row per input
row, in input order, with a notice. An empty file, a file without a text column, a quote
that never closes, an undecodable byte: FileFormatError with a Chinese message naming the
file (the commands print it on stderr and exit 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jiceng.lib import textfile

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

OUTPUT_COLUMNS = ["id", "category", "score", "category_2", "score_2", "category_3", "score_3"]

# canonical column → the names it may carry (compared by `_norm`); the Chinese ones are the
# headers of the 政务留言 competition tables (留言编号, 留言主题, 留言详情, 一级标签, 答复意见)
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "留言编号", "序号", "工单编号", "工单号", "messageid", "msgid", "caseid"),
    "subject": ("subject", "title", "标题", "主题", "留言主题", "诉求标题"),
    "body": (
        "body",
        "text",
        "content",
        "message",
        "description",
        "正文",
        "内容",
        "详情",
        "留言详情",
        "留言内容",
        "诉求内容",
        "诉求描述",
    ),
    "category": ("category", "label", "类别", "分类", "一级分类", "一级标签", "一级类别"),
    "reply": ("reply", "答复", "回复", "答复意见", "回复内容", "答复内容"),
    "level1": ("level1", "一级"),
    "level2": ("level2", "二级"),
    "level3": ("level3", "三级"),
}
_DELIMITERS = (",", "\t", ";", "|")
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls


class FileFormatError(ValueError):
    pass


@dataclass
class Table:
    """The rows of a file by canonical column name, and what the reader noticed."""

    name: str
    columns: list[str]  # canonical names found
    header: list[str]  # as written in the file
    rows: list[dict[str, str]]
    notes: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return re.sub(r"[\s\ufeff\u200b_\-]+", "", str(name)).lower()


def _canonical(header: list[str]) -> dict[str, int]:
    """canonical column → its index in `header`: the canonical name itself first, then the
    first alias in the header's order."""
    normed = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for canon, names in ALIASES.items():
        if canon in normed:
            found[canon] = normed.index(canon)
            continue
        for i, n in enumerate(normed):
            if n in names and i not in found.values():
                found[canon] = i
                break
    return found


def _cell(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold (6.0 → "6")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and not value.time():
        return value.date().isoformat()
    return str(value)


def _read_workbook(p: Path) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            if any(any(_cell(v).strip() for v in r) for r in rows):
                return [[_cell(v) for v in r] for r in rows]
    except Exception as exc:  # a broken or foreign file: calamine raises its own kinds
        raise FileFormatError(
            f"{p.name} 无法作为 Excel 文件读取（{exc.__class__.__name__}）"
        ) from None
    return []


def _decode(p: Path, data: bytes) -> str:
    head = data[: textfile.SAMPLE]
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in head[:1000]:
        # UTF-16 without a BOM (UTF-8 and GB18030 text has no NUL byte): the header's ASCII
        # names put a NUL after (LE) or before (BE) each letter
        first_nul = head.index(b"\x00")
        codec = "utf-16-le" if first_nul % 2 else "utf-16-be"
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        text = textfile.decode(data)
    except textfile.TextFileError as exc:
        raise FileFormatError(f"{p.name}：{exc}") from None
    return text.lstrip("\ufeff")


def _parse_csv(p: Path, text: str) -> list[list[str]]:
    first = re.split(r"[\r\n]", text, maxsplit=1)[0]

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=d), [])
        return len(_canonical(cells)), len(cells)

    delim = max(_DELIMITERS, key=score)
    if score(delim)[0] == 0 and score(",")[1] > 1:
        delim = ","
    # strict first: a quote that never closes is an error there (the lenient reader would
    # swallow the rest of the file into one field); other strictness errors (text after a
    # closing quote, as hand-written files have) are read leniently
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    rows: list[list[str]] = []
    start = 1
    try:
        for r in reader:
            rows.append(r)
            start = reader.line_num + 1
        return rows
    except csv.Error as exc:
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            raise FileFormatError(
                f'{p.name} 第 {start} 行起的引号没有闭合（字段以 " 开头却没有结束的 "），'
                "请检查该行或用 Excel/WPS 重新另存为 CSV"
            ) from None
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as exc:
        raise FileFormatError(f"{p.name} 不是有效的 CSV 文件：{exc}") from None


def read_table(path: str | Path) -> Table:
    """Every row of a CSV or Excel file, by canonical column name (see the module doc)."""
    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"找不到文件：{p}")
    if not p.is_file():
        raise FileFormatError(f"{p} 不是文件")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"无法读取 {p}：{exc.strerror or exc}") from None
    if data.startswith((_ZIP, _OLE2)) or p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        cells = _read_workbook(p)
    else:
        text = _decode(p, data)
        cells = _parse_csv(p, text) if text.strip() else []
    cells = [r for r in cells if any(c.strip() for c in r)]
    if not cells:
        raise FileFormatError(f"{p.name} 是空文件（没有列名行，也没有数据）")
    header = [h.strip().lstrip("\ufeff") for h in cells[0]]
    where = _canonical(header)
    rows = []
    for r in cells[1:]:
        rows.append({c: (r[i].strip() if i < len(r) else "") for c, i in where.items()})
    return Table(p.name, list(where), header, rows)


def _table(path: str | Path, needed: tuple[str, ...], *, text: bool = True) -> Table:
    """The table with its columns checked: `needed` all present and, when `text`, at least
    one of subject/body."""
    t = read_table(path)
    have = ", ".join(h for h in t.header if h) or "（无）"
    missing = [c for c in needed if c not in t.columns]
    if text and "subject" not in t.columns and "body" not in t.columns:
        missing.insert(0, "body（或 subject）")
    if missing:
        raise FileFormatError(
            f"{t.name} 缺少列：{', '.join(missing)}（现有列：{have}）。"
            "第一行应为列名，例如 id,subject,body"
        )
    return t


# Excel's escape of a control character in a cell (OOXML ST_Xstring): a CSV exported by a
# tool that wrote the stored string keeps "_x000D_" literally (20 of the 298 labelled
# messages do), while an .xlsx reader gives "\r" — the same message must read the same
_OOXML_ESCAPE = re.compile(r"_x00(0[9AD])_", re.IGNORECASE)


def _unescape(text: str) -> str:
    if "_x00" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def message_text(row: dict[str, str]) -> str:
    """Subject and body as one text (the subject is the caller's own summary: it counts)."""
    subject = _unescape(row.get("subject") or "").strip()
    body = _unescape(row.get("body") or "").strip()
    return f"{subject}。{body}" if subject and body else subject or body


def _ids(t: Table, notes: list[str] | None) -> list[str]:
    if "id" not in t.columns:
        if notes is not None and t.rows:
            notes.append(f"{t.name} 没有 id 列：按数据行顺序编号 1–{len(t.rows)}（列名行不计）。")
        return [str(i) for i in range(1, len(t.rows) + 1)]
    ids = [r["id"] for r in t.rows]
    if notes is not None:
        dup = {k: n for k, n in Counter(ids).items() if n > 1 and k}
        if dup:
            sample = "、".join(list(dup)[:5])
            notes.append(
                f"{t.name} 中有 {len(dup)} 个 id 重复出现（{sample}…）：每行各自分类，按原顺序输出。"
            )
        blank = sum(1 for i in ids if not i)
        if blank:
            notes.append(f"{t.name} 中有 {blank} 行 id 为空，输出中 id 也为空。")
    return ids


def first_level(category: str) -> str:
    """A label as the first level: "城乡建设/市政管理" or "城乡建设 > 市政" → "城乡建设"."""
    return re.split(r"\s*[/>＞|]\s*", category.strip(), maxsplit=1)[0]


def read_labelled(path: str | Path, notes: list[str] | None = None) -> list[tuple[str, str, str]]:
    """[(id, text, first-level category)]"""
    t = _table(path, ("category",))
    return [
        (i, message_text(r), first_level(r["category"]))
        for i, r in zip(_ids(t, notes), t.rows, strict=True)
    ]


def read_messages(path: str | Path, notes: list[str] | None = None) -> list[tuple[str, str]]:
    """[(id, text)] — for classify and for unlabelled history (any category column unread)."""
    t = _table(path, ())
    return [(i, message_text(r)) for i, r in zip(_ids(t, notes), t.rows, strict=True)]


def read_replies(path: str | Path) -> list[tuple[str, str]]:
    """[(text, reply)]"""
    return [(message_text(r), r["reply"]) for r in _table(path, ("reply",)).rows]


def read_taxonomy(path: str | Path) -> list[str]:
    """Category paths 一级/二级/三级 (empty levels dropped)."""
    out = []
    for r in _table(path, ("level1",), text=False).rows:
        names = [r.get(k, "").strip() for k in ("level1", "level2", "level3")]
        names = [n for n in names if n]
        if names:
            out.append("/".join(names))
    return out


def write_classified(path: str | Path, rows: list[tuple[str, list[tuple[str, float]]]]) -> None:
    p = Path(path)
    if p.is_dir():
        raise FileFormatError(f"输出路径是一个目录：{p}")
    if not p.parent.is_dir():
        raise FileFormatError(f"输出目录不存在：{p.parent}")
    try:
        with open(p, "w", encoding="utf-8", newline="") as fh:
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
    except OSError as exc:
        raise FileFormatError(f"无法写入输出文件 {p}：{exc.strerror or exc}") from None
