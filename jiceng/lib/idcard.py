"""Resident identity numbers (公民身份号码, GB 11643-1999) as pure functions.

An 18-character number is: 6-digit region code of first registration, 8-digit birth date,
3-digit sequence (odd for men, even for women) and a check character computed with the
ISO 7064 MOD 11-2 scheme. 15-digit numbers issued before 1999 are upgraded to 18.
The region code is checked for plausibility only (a known province, city and county part):
divisions are renamed and merged over time, and a number keeps the code it was issued with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# GB/T 2260 province codes, including 71 台湾, 81 香港, 82 澳门 (residence permits use 83).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)
EARLIEST_BIRTH = date(1880, 1, 1)
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdCardError(ValueError):
    """The number is not a valid identity number; the message is for people (Chinese)."""


@dataclass(frozen=True)
class IdCard:
    number: str
    region_code: str
    birth_date: date
    sex: str  # "M" or "F"

    def age_on(self, day: date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise IdCardError("身份证号码前17位必须是数字")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(number: str) -> str:
    """Strip spaces, full-width characters and a lower-case x."""
    s = str(number).strip().translate(_FULLWIDTH).replace(" ", "").upper()
    return s


_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def upgrade15(number: str) -> str:
    """A 15-digit number (born 19xx) in its 18-digit form."""
    if len(number) != 15 or not number.isdigit():
        raise IdCardError("15位身份证号码必须全部是数字")
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_char(first17)


def plausible_region(code: str) -> bool:
    """A 6-digit code that could be a county: a known province, and (on the mainland) a city
    and county part that are not 00 (a province or city is not a place of registration)."""
    if len(code) != 6 or not code.isdigit() or code[:2] not in PROVINCES:
        return False
    if code[:2] in _NO_SUBDIVISION:
        return True
    return code[2:4] != "00" and code[4:] != "00"


_NO_SUBDIVISION = frozenset({"71", "81", "82", "83", "91"})


def parse(number: str, today: date | None = None) -> IdCard:
    """Check a number and return what it says; raise IdCardError with a Chinese reason."""
    # the installation's day (Asia/Shanghai), not the machine's: a birthday or a date in
    # the future turns at local midnight, which is 16:00 UTC
    today = today or timezone.localdate()
    s = normalise(number)
    if not s:
        raise IdCardError("身份证号码为空")
    if len(s) == 15:
        s = upgrade15(s)
    if len(s) != 18:
        raise IdCardError(f"身份证号码应为18位，实际为{len(s)}位")
    if not _SHAPE.match(s):
        raise IdCardError("身份证号码只能由数字和末位X组成")
    if not plausible_region(s[:6]):
        raise IdCardError(f"身份证号码前6位 {s[:6]} 不是有效的行政区划代码")
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise IdCardError(f"身份证号码中的出生日期 {s[6:14]} 不存在") from None
    if born < EARLIEST_BIRTH or born > today:
        raise IdCardError(f"身份证号码中的出生日期 {born.isoformat()} 不合理")
    expected = check_char(s[:17])
    if s[17] != expected:
        raise IdCardError("身份证号码校验位不正确，请核对后重新输入")
    return IdCard(number=s, region_code=s[:6], birth_date=born, sex="M" if int(s[16]) % 2 else "F")


def is_valid(number: str, today: date | None = None) -> bool:
    try:
        parse(number, today)
    except IdCardError:
        return False
    return True


def make(region_code: str, born: date, sequence: int) -> str:
    """Build a well-formed number (for fictitious demo and test data only)."""
    first17 = f"{region_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def mask(number: str) -> str:
    """Keep the first 3 and the last 4 characters (110***********123X).

    The birth date and the region of registration are hidden; the tail is enough for
    a person who holds the card to recognise it.
    """
    s = normalise(number)
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]
