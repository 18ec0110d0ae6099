"""Division codes (统计用区划代码) and grid codes, as pure functions.

jiceng keys every region by its *significant* code: the digits that identify it at its
level, without the trailing zeros of the 12-digit statistical form. A subtree is then a
prefix: 6109 (安康市) contains 610921 (汉阴县) contains 610921001 (城关镇) and so on.
Grid codes extend the village code by three digits per grid level; micro-grids by three
more.
"""

from __future__ import annotations

# level number -> length of the significant code
PROVINCE, CITY, COUNTY, STREET, VILLAGE, GRID, MICRO_GRID = 1, 2, 3, 4, 5, 6, 7
LEVEL_CODE_LENGTH = {PROVINCE: 2, CITY: 4, COUNTY: 6, STREET: 9, VILLAGE: 12}
GRID_SEGMENT = 3
MAX_GRID_LEVEL = 3


class CodeError(ValueError):
    pass


def is_digits(code: str) -> bool:
    return code.isascii() and code.isdigit()


def significant(code: str, level: int) -> str:
    """The significant code of a division at `level` from any of its spellings.

    Accepts '610921', '610921000000' or 610921 for a county.
    """
    code = str(code).strip()
    if not is_digits(code):
        raise CodeError(f"区划代码只能由数字组成：{code!r}")
    length = LEVEL_CODE_LENGTH[level]
    if len(code) == length:
        return code
    if len(code) == 12 and code[length:] == "0" * (12 - length):
        return code[:length]
    raise CodeError(f"区划代码 {code} 的位数与层级不符（应为 {length} 位或 12 位）")


def statistical(code: str) -> str:
    """The 12-digit statistical form of a division code (grids keep their full code)."""
    return code.ljust(12, "0") if len(code) <= 12 else code


def parent_code(code: str) -> str | None:
    n = len(code)
    if n <= 2:
        return None
    if n > 12:
        return code[:-GRID_SEGMENT]
    lengths = sorted(v for v in LEVEL_CODE_LENGTH.values() if v < n)
    return code[: lengths[-1]]


def ancestors(code: str) -> list[str]:
    """Codes from the province down to the parent of `code`."""
    out = []
    cur = parent_code(code)
    while cur:
        out.append(cur)
        cur = parent_code(cur)
    return out[::-1]
