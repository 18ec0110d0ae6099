"""Chinese telephone numbers: mobile (11 digits, 1[3-9]x) and landline (area code + 7/8 digits)."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 3 digits (010, 02x) or 4 digits (0xxx); local numbers are 7 or 8 digits;
# an extension may follow.
_LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))-?([2-9]\d{6,7})(?:-(\d{1,6}))?$")
_STRIP = str.maketrans("", "", " ()（）")


class PhoneError(ValueError):
    pass


def normalise(raw: str) -> str:
    """A canonical spelling: 13912345678, or 0915-5212345 (with -ext if any).

    A leading +86 / 0086 / 86 country code is dropped.
    """
    s = str(raw).strip().translate(_STRIP).replace("－", "-").replace("—", "-")
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix) :].lstrip("-")
    if s.startswith("86") and len(s) == 13:
        s = s[2:]
    digits = s.replace("-", "")
    if _MOBILE.match(digits):
        return digits
    m = _LANDLINE.match(s)
    if m:
        area, local, ext = m.groups()
        # Without a separator, "09155212345" is ambiguous between a 3- and 4-digit area code;
        # the regex takes the longer one only where a 3-digit code does not exist (010, 02x).
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise PhoneError(f"电话号码 {raw} 格式不正确（手机11位，固话如 0915-5212345）")


def is_mobile(phone: str) -> bool:
    return bool(_MOBILE.match(phone))


def is_valid(raw: str) -> bool:
    try:
        normalise(raw)
    except PhoneError:
        return False
    return True


def mask(phone: str) -> str:
    """139****5678 for a mobile; 0915-***2345 for a landline."""
    if not phone:
        return ""
    if is_mobile(phone):
        return phone[:3] + "****" + phone[-4:]
    if "-" in phone:
        area, rest = phone.split("-", 1)
        local = rest.split("-")[0]
        return f"{area}-" + "*" * (len(local) - 4) + local[-4:]
    return "*" * max(0, len(phone) - 4) + phone[-4:]
