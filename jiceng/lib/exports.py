"""Cells of every CSV and Excel export, safe from formula injection (CWE-1236).

A name or text that begins with `= + - @` (or a tab / carriage return, or their full-width
forms that Chinese input methods produce) is read by Excel and WPS as a formula: written
as-is, `=HYPERLINK("http://…", "点击")` in a resident's address becomes a live link or a
command in the office that opens the export. The rule (OWASP "CSV Injection"):

- CSV has no types: such a text gets a leading apostrophe `'`, which spreadsheets show as a
  text marker and never evaluate;
- .xlsx has types: the text is written as a string cell (openpyxl would otherwise store any
  text starting with `=` as a formula), so the exact text survives, shown, never run.

Numbers, dates and empty cells pass unchanged. Every export goes through `csv_writer`,
`xlsx_row` (openpyxl) or `XlsxStream`.

`XlsxStream` writes a one-sheet .xlsx straight into a zip stream, in constant memory: every
text is an inline string cell (`t="inlineStr"`), which no spreadsheet evaluates, so the
guard above holds by construction. A county's 95,000 residents × 13 columns take ≈ 5 s on
the loaded machine against ≈ 31 s with xlsxwriter's constant_memory mode and ≈ 51 s with
openpyxl's write_only mode (decision 0056), and it adds no dependency.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def risky(value: Any) -> bool:
    """A text a spreadsheet would evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: a risky text with a leading apostrophe."""
    return "'" + value if risky(value) else value


class SafeCsvWriter:
    """csv.writer with every cell passed through `csv_cell`."""

    def __init__(self, stream: IO[str], **kwargs: Any) -> None:
        self._w = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        # csv_cell, inlined: a county's export passes a million cells through here
        return self._w.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]
        )

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._w.writerows(
            ["'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]
            for row in rows
        )


def csv_writer(stream: IO[str], **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(stream, **kwargs)


def xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for `ws.append()` (openpyxl, normal or write-only sheet) whose texts are string
    cells: a risky text is a typed string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for v in values:
        if risky(v):
            cell = WriteOnlyCell(ws, value=v)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(v)
    return out


# ---- a streaming .xlsx writer --------------------------------------------------------------

# Characters XML 1.0 does not allow (a stray control character in an address would make the
# whole file unreadable) and the three that must be escaped in element text.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
XLSX_MAX_ROWS = 1_048_576


def _xml_text(s: str) -> str:
    if _XML_SPECIAL.search(s) is None:
        return s
    s = _XML_ILLEGAL.sub("", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)


class XlsxStream:
    """A one-sheet .xlsx written row by row into `target` (a path or a binary file), in
    constant memory: rows are buffered by the thousand and deflated into the zip as they
    come. Texts are inline string cells (never formulas), numbers numbers, booleans
    booleans, dates ISO texts, None an empty cell. Use as a context manager or call
    `close()`."""

    def __init__(self, target: Any, sheet: str = "Sheet1", compresslevel: int = 1) -> None:
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        name = _xml_text(sheet)[:31].replace('"', "&quot;")
        self._zip.writestr("xl/workbook.xml", _WORKBOOK.format(name=name))
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write(_SHEET_HEAD.encode())
        self._cols: list[str] = []
        self._buf: list[str] = []
        self.rows = 0

    def writerow(self, values: Iterable[Any]) -> None:
        self.rows += 1
        n = self.rows
        if n > XLSX_MAX_ROWS:
            raise ValueError(f"Excel 工作表最多 {XLSX_MAX_ROWS:,} 行")
        cols = self._cols
        parts = [f'<row r="{n}">']
        for i, v in enumerate(values):
            if i >= len(cols):
                cols.append(column_letter(i))
            if v is None or v == "":
                continue
            c = cols[i]
            if isinstance(v, str):
                parts.append(f'<c r="{c}{n}" t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>')
            elif isinstance(v, bool):
                parts.append(f'<c r="{c}{n}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float, Decimal)):
                parts.append(f'<c r="{c}{n}"><v>{v}</v></c>')
            elif isinstance(v, (date, datetime)):
                parts.append(f'<c r="{c}{n}" t="inlineStr"><is><t>{v.isoformat()}</t></is></c>')
            else:
                parts.append(f'<c r="{c}{n}" t="inlineStr"><is><t>{_xml_text(str(v))}</t></is></c>')
        parts.append("</row>")
        self._buf.append("".join(parts))
        if len(self._buf) >= 1000:
            self.flush()

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def flush(self) -> None:
        if self._buf:
            self._sheet.write("".join(self._buf).encode())
            self._buf.clear()

    def close(self) -> None:
        if self._sheet is None:
            return
        self.flush()
        self._sheet.write(b"</sheetData></worksheet>")
        self._sheet.close()
        self._sheet = None  # type: ignore[assignment]
        self._zip.close()

    def __enter__(self) -> XlsxStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
