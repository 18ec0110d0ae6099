"""Text files as Excel and WPS on Chinese Windows write them (issue 9 item 11).

"Save as CSV" writes GBK (code page 936) unless "CSV UTF-8" is chosen, which adds a BOM;
"Unicode text" writes UTF-16 with a BOM and tabs. The rule, for every import:

1. a BOM decides (UTF-8, UTF-16 LE/BE);
2. otherwise UTF-8 if the bytes are valid UTF-8;
3. otherwise GB18030 (a superset of GBK and GB2312, so every GBK file reads);
4. otherwise a Chinese error that says how to save the file.

`sniff()` decides from the first bytes, so large files are read as a stream; a byte that
does not decode later becomes a `TextFileError` naming the line.

Identifiers in Excel number cells (issue 9 item 10): Excel keeps 15 significant digits, so
an 18-digit ID number typed into a number cell is silently changed (6.10921196105126E+17
becomes 610921196105126016). `looks_like_excel_number()` spots the forms such a value takes
in a CSV, and importers refuse identifiers from number cells with `NUMBER_CELL_HINT`.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import IO

SAMPLE = 256 * 1024
HOW_TO_SAVE = "请在 Excel/WPS 中“另存为”CSV UTF-8（逗号分隔）或 CSV（逗号分隔）后重试"
NUMBER_CELL_HINT = (
    "是数字格式的单元格，Excel 只保留 15 位有效数字，号码可能已被改变；"
    "请将该列设置为“文本”格式并重新填写号码后再导入"
)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


class TextFileError(ValueError):
    """The file cannot be read as text; the message is Chinese."""


def sniff(head: bytes) -> str:
    """The codec for a file starting with `head` (up to SAMPLE bytes)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise TextFileError(
            f"无法识别文件编码（不是 UTF-8 或 GBK/GB18030）。{HOW_TO_SAVE}"
        ) from None


def decode(data: bytes) -> str:
    """The whole of `data` as text, or TextFileError."""
    codec = sniff(data[:SAMPLE])
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TextFileError(
            f"第 {line} 行含有无法识别的字符（文件编码不一致）。{HOW_TO_SAVE}"
        ) from None


def open_text(path: Path) -> IO[str]:
    """A text stream of the file at `path` in its sniffed codec (newline='' for csv)."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    return io.open(path, encoding=sniff(head), newline="")  # noqa: UP020 - explicit codec


def delimiter(first_line: str) -> str:
    """Tab for Excel's "Unicode text" (tab-separated), comma otherwise."""
    return "\t" if "\t" in first_line and "," not in first_line else ","


def looks_like_excel_number(value: str) -> bool:
    """A value as a number cell writes it into a CSV: 6.10921E+17 or a float like 1.0E5."""
    return bool(_SCIENTIFIC.match(value.strip()))
