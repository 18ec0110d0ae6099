"""Cells of every CSV and Excel export, safe from formula injection (CWE-1236).

A name or text that begins with `= + - @` (or a tab / carriage return, or their full-width
forms that Chinese input methods produce) is read by Excel and WPS as a formula: written
as-is, `=HYPERLINK("http://…", "点击")` in a resident's address becomes a live link or a
command in the office that opens the export. The rule (OWASP "CSV Injection"):

- CSV has no types: such a text gets a leading apostrophe `'`, which spreadsheets show as a
  text marker and never evaluate;
- .xlsx has types: the text is written as a string cell (openpyxl would otherwise store any
  text starting with `=` as a formula), so the exact text survives, shown, never run.

Numbers, dates and empty cells pass unchanged. Every export goes through `csv_writer` or
`xlsx_row`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
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
        return self._w.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


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
