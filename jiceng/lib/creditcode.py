"""Unified social credit codes (统一社会信用代码, GB 32100-2015) as pure functions: 18
characters from a 31-character alphabet (no I, O, S, V, Z), the last a MOD 31 check."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CreditCodeError(ValueError):
    pass


def check_char(first17: str) -> str:
    try:
        total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    except ValueError:
        raise CreditCodeError("统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）") from None
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper case, no spaces; raise CreditCodeError with a Chinese reason if it is not valid."""
    s = str(code).strip().replace(" ", "").upper()
    if len(s) != 18:
        raise CreditCodeError(f"统一社会信用代码应为18位，实际为{len(s)}位")
    if any(c not in ALPHABET for c in s):
        raise CreditCodeError("统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）")
    if not s[2:8].isdigit():
        raise CreditCodeError("统一社会信用代码第3–8位应为行政区划代码")
    if check_char(s[:17]) != s[17]:
        raise CreditCodeError("统一社会信用代码校验位不正确")
    return s


def make(prefix17: str) -> str:
    """A well-formed code from its first 17 characters (fictitious demo data)."""
    return prefix17 + check_char(prefix17)
