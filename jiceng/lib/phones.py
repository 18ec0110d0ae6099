"""Chinese telephone numbers: mobile (11 digits, 1[3-9]x) and landline (area code + 7/8 digits)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 3 digits (010, 02x) or 4 digits (0xxx); local numbers are 7 or 8 digits;
# an extension may follow.
_LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))-?([2-9]\d{6,7})(?:-(\d{1,6}))?$")
_STRIP = str.maketrans("", "", " ()（）")


class PhoneError(ValueError):
    pass


def normalise(raw: str) -> str:
    """The one stored form of a Chinese phone number: 13912345678, or 0915-5212345 (with
    -ext if any). Every entry point (people, imports, Open311, searches) stores and looks up
    this form, so one number written any of the ways people write it is one number.

    Accepted spellings: full-width digits (１３９…), spaces, dots, brackets and dashes
    anywhere; a leading +86 / 0086 / 86 country code (then a landline's area code may come
    without its 0: +86 915 5212345); a landline with its area code in brackets
    ((0915)5212345). Raises PhoneError (Chinese message) for anything else.
    """
    s = unicodedata.normalize("NFKC", str(raw)).strip().translate(_STRIP)
    s = s.replace("—", "-").replace(".", "-").replace("/", "-")
    international = False
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix) :].lstrip("-")
            international = True
    if s.startswith("86") and len(s.replace("-", "")) == 13:
        s = s[2:].lstrip("-")
        international = True
    s = re.sub(r"-{2,}", "-", s).strip("-")
    if international and not s.startswith("0") and not _MOBILE.match(s.replace("-", "")):
        s = "0" + s  # abroad a landline's area code drops its 0
    digits = s.replace("-", "")
    if _MOBILE.match(digits):
        return digits
    # dashes where people put them (0915-5212345-801), else grouped for reading (521-2345)
    m = _LANDLINE.match(s) or _LANDLINE.match(digits)
    if m:
        area, local, ext = m.groups()
        # Without a separator, "09155212345" is ambiguous between a 3- and 4-digit area code;
        # the regex takes the longer one only where a 3-digit code does not exist (010, 02x).
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise PhoneError(
        gettext("电话号码 %(raw)s 格式不正确（手机11位，固话如 0915-5212345）") % {"raw": raw}
    )


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
