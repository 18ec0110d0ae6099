"""Reading Open311 parameters: pure functions, each raising Open311Error(400) with a
description that names the parameter.

"Optional" in the spec means an empty parameter is the same as an absent one; every
reader here treats "" (after trimming) as absent.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from datetime import timezone as fixed_offset
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict

from jiceng.open311.render import Open311Error

MAX_LIST = 1000  # ids / codes in one comma list
_W3 = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
# A '+' sent unencoded in a query string arrives as a space: 10:00:00 08:00.
_SPACE_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}:?\d{2})$")


# Control characters (but tab and line breaks) are dropped on input: PostgreSQL cannot store
# NUL and XML 1.0 cannot carry the others.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(raw: str | None) -> str:
    return _CONTROL.sub("", raw or "").strip()


def value(params: QueryDict, name: str, max_len: int = 0) -> str:
    """The trimmed last value of a parameter, '' when absent or empty."""
    v = clean(params.get(name))
    if max_len and len(v) > max_len:
        raise Open311Error(400, f"{name} 过长（最多 {max_len} 个字符）({name} too long)")
    return v


def comma_list(params: QueryDict, name: str, max_len: int = MAX_LIST) -> list[str]:
    """Values declared as a comma list and/or repeated: a=1,2&a=3 → [1, 2, 3]."""
    out: list[str] = []
    for raw in params.getlist(name):
        for part in clean(raw).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    if len(out) > max_len:
        raise Open311Error(400, f"{name} 最多 {max_len} 项 (at most {max_len} values)")
    return out


MIN_YEAR, MAX_YEAR = 1900, 9000


def w3_datetime(raw: str, name: str, *, end: bool = False) -> datetime:
    """Parse the w3 subset of ISO 8601 (YYYY, YYYY-MM, YYYY-MM-DD, with time and offset).

    A date without time means the start of that day (the end of it for end_date); a time
    without an offset is read in the platform's time zone.
    """
    s = _SPACE_OFFSET.sub(r"\1+\2", raw.strip())
    m = _W3.match(s)
    bad = Open311Error(
        400,
        f"{name} 不是有效的 W3C/ISO 8601 时间，例如 2026-11-22T10:00:00+08:00"
        f" ({name} is not a valid w3 datetime): {raw[:40]}",
    )
    if not m:
        raise bad
    year, month, day, hh, mi, ss, frac, tzd = m.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        # Date arithmetic near datetime's edges (year 1 and 9999: the 90-day default
        # window, time zones) overflowed into "general service error" (issue 9 item 12).
        raise Open311Error(
            400,
            f"{name} 超出支持的时间范围（{MIN_YEAR}–{MAX_YEAR} 年）"
            f" ({name} is outside the supported years {MIN_YEAR}-{MAX_YEAR}): {raw[:40]}",
        )
    try:
        tz: tzinfo
        if tzd and tzd.upper() != "Z":
            digits = tzd[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours > 14 or minutes >= 60:
                raise bad
            offset = timedelta(hours=hours, minutes=minutes)
            tz = fixed_offset(offset if tzd[0] == "+" else -offset)
        elif tzd:
            tz = UTC
        else:
            tz = ZoneInfo(settings.TIME_ZONE)
        if hh is None:
            d = datetime(int(year), int(month or 1), int(day or 1))
            if end:
                # the whole of the last day / month / year given
                if day:
                    d = d + timedelta(days=1)
                elif month:
                    d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
                else:
                    d = d.replace(year=d.year + 1)
                d = d - timedelta(microseconds=1)
            out = datetime.combine(d.date(), d.time(), tzinfo=tz)
            out.astimezone(UTC)
            return out
        micro = int((frac or "0")[:6].ljust(6, "0"))
        t = time(int(hh), int(mi), int(ss or 0), micro)
        out = datetime.combine(datetime(int(year), int(month), int(day)).date(), t, tzinfo=tz)
        out.astimezone(UTC)  # years at the edge of the calendar cannot be stored
        return out
    except (ValueError, OverflowError):
        raise bad from None


def coordinate(raw: str, name: str, limit: float) -> float:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v):
        raise Open311Error(400, f"{name} 不是有效的数字 ({name} is not a number)")
    if not -limit <= v <= limit:
        raise Open311Error(
            400, f"{name} 超出范围，应在 -{limit:g} 到 {limit:g} 之间 ({name} out of range)"
        )
    return v


_ATTR = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")


def attributes(params: QueryDict) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 → {code: [values]}."""
    out: dict[str, list[str]] = {}
    for key in params:
        m = _ATTR.match(key)
        if not m:
            continue
        vals = [clean(v) for v in params.getlist(key) if clean(v)]
        if vals:
            out.setdefault(m.group(1).strip(), []).extend(vals)
    return out
