"""Deadlines of cases: the calendar from the database, limits from the category tree.

Pure arithmetic lives in `jiceng.lib.workdays`; this module feeds it the holiday table
and the configured working hours and turns aware datetimes into local wall-clock time.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

from jiceng.lib.workdays import Calendar, CalendarUnknown, parse_periods

if TYPE_CHECKING:  # models import nothing from here; a runtime import would be a cycle risk
    from jiceng.cases.models import Category

# Working hours (docs/decisions/0005-cases-working-time.md) and the yellow-card share.
WORK_PERIODS = parse_periods(settings.JICENG_WORK_PERIODS)
YELLOW_SHARE = settings.JICENG_YELLOW_SHARE
CRITICAL_HOURS = settings.JICENG_CRITICAL_HOURS
DEFAULT_LIMIT = (7.0, "days")
VISIT_WORKDAYS = 3  # return visit due within 3 working days of closure
if not 0 < YELLOW_SHARE < 1:
    raise ValueError("JICENG_YELLOW_SHARE must be between 0 and 1")

_cache: dict[str, tuple[float, Calendar]] = {}
_TTL = 60.0


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def calendar() -> Calendar:
    """The working-day calendar from CalendarYear/CalendarDay, cached for a minute."""
    hit = _cache.get("cal")
    if hit and _time.monotonic() - hit[0] < _TTL:
        return hit[1]
    from jiceng.cases.models import CalendarDay, CalendarYear

    years = set(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))
    holidays: list = []
    workdays: list = []
    for d, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == CalendarDay.HOLIDAY else workdays).append(d)
    cal = Calendar.build(years, holidays, workdays, WORK_PERIODS)
    _cache["cal"] = (_time.monotonic(), cal)
    return cal


def invalidate() -> None:
    _cache.clear()


def limit_for(category: Category | None, urgency: int) -> tuple[float, str]:
    """(amount, unit) for a category and urgency, inherited up the tree."""
    from jiceng.cases.models import Urgency

    if urgency >= Urgency.CRITICAL:
        return (CRITICAL_HOURS, "hours")
    if category is not None:
        lineage = category.lineage()
        if urgency >= Urgency.URGENT:
            for c in lineage:
                if c.urgent_limit_amount and c.urgent_limit_unit:
                    return (c.urgent_limit_amount, c.urgent_limit_unit)
        for c in lineage:
            if c.limit_amount and c.limit_unit:
                return (c.limit_amount, c.limit_unit)
    return DEFAULT_LIMIT


@dataclass
class Due:
    deadline: datetime
    yellow_at: datetime
    calendar_missing: bool
    limit: tuple[float, str]


def compute(start: datetime, amount: float, unit: str, cal: Calendar | None = None) -> Due:
    """Deadline and yellow-card time from an aware `start`.

    A year without holiday data is never silently treated as plain weekdays: the case is
    flagged (`calendar_missing`) and given the stricter natural-day deadline until an
    administrator enters that year, when the worker recomputes it.
    """
    cal = cal or calendar()
    zone = tz()
    local = start.astimezone(zone).replace(tzinfo=None)
    missing = False
    try:
        dl = cal.deadline(local, amount, unit)
        ya = cal.warning_time(local, amount, unit, YELLOW_SHARE)
    except CalendarUnknown:
        missing = True
        nat = "hours" if unit == "work_hours" else "days" if unit == "workdays" else unit
        dl = cal.deadline(local, amount, nat)
        ya = cal.warning_time(local, amount, nat, YELLOW_SHARE)
    return Due(dl.replace(tzinfo=zone), ya.replace(tzinfo=zone), missing, (amount, unit))


def extend(deadline: datetime, amount: float, unit: str, cal: Calendar | None = None) -> Due:
    """A deadline pushed on by an approved pause (缓办)."""
    return compute(deadline, amount, unit, cal)


def visit_due(closed_at: datetime) -> datetime:
    try:
        return compute(closed_at, VISIT_WORKDAYS, "workdays").deadline
    except CalendarUnknown:
        return closed_at + timedelta(days=VISIT_WORKDAYS)
