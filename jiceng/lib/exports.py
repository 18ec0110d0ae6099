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

`XlsxStream` writes a one-sheet .xlsx with xlsxwriter in constant-memory mode, every text
through `write_string` (never a formula). A county's 95,000 residents × 13 columns cost
≈ 7 s of CPU there against ≈ 12 s with openpyxl's write_only mode (decision 0056).
"""

from __future__ import annotations

import csv
import re
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

# Characters XML 1.0 does not allow: a stray control character in an address would make the
# whole file unreadable, so they are dropped before xlsxwriter escapes the rest.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
XLSX_MAX_ROWS = 1_048_576


def column_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    from xlsxwriter.utility import xl_col_to_name

    return str(xl_col_to_name(i))


class XlsxStream:
    """A one-sheet .xlsx written row by row into `target` (a path or a binary file) with
    xlsxwriter in constant-memory mode (rows go to a temporary file as they come, never a
    workbook in memory). Texts are string cells written with `write_string` — never
    formulas, whatever they start with —, numbers numbers, booleans booleans, dates ISO
    texts, None or "" an empty cell; the header row is frozen. Use as a context manager or
    call `close()`. Raises ValueError past Excel's 1,048,576 rows."""

    def __init__(self, target: Any, sheet: str = "Sheet1") -> None:
        import xlsxwriter

        self._wb = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                # no guessing: a text stays the text it is (formula-injection guard)
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        name = _SHEET_NAME_BAD.sub("_", _XML_ILLEGAL.sub("", sheet))[:31] or "Sheet1"
        self._ws = self._wb.add_worksheet(name)
        self._ws.freeze_panes(1, 0)
        self.rows = 0
        self._closed = False

    def writerow(self, values: Iterable[Any]) -> None:
        n = self.rows
        if n >= XLSX_MAX_ROWS:
            raise ValueError(f"Excel 工作表最多 {XLSX_MAX_ROWS:,} 行")
        ws = self._ws
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(n, i, _XML_ILLEGAL.sub("", v))
            elif isinstance(v, bool):
                ws.write_boolean(n, i, v)
            elif isinstance(v, (int, float, Decimal)):
                ws.write_number(n, i, float(v) if isinstance(v, Decimal) else v)
            elif isinstance(v, (date, datetime)):
                ws.write_string(n, i, v.isoformat())
            else:
                ws.write_string(n, i, _XML_ILLEGAL.sub("", str(v)))
        self.rows = n + 1

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wb.close()

    def __enter__(self) -> XlsxStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
