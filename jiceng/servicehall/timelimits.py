"""Legal and promised time limits of applications in working days (pure; no database).

六枝: every item has a legal limit (法定时限) and a shorter promised one (承诺时限); the
window answers for the promised one. Cards follow the cases rule (C3): yellow once
`yellow_share` of the promised limit is used, red once it has passed. Suspension
(中止, Open Zaak opschorting) stops the clock: on resuming, both deadlines move on by the
working time spent suspended. An extension (延期, Open Zaak verlenging) is allowed once,
up to the item's extension term, and moves both deadlines.

Times are aware datetimes; the calendar works in naive local wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from jiceng.lib.workdays import Calendar, CalendarUnknown


@dataclass(frozen=True)
class Limits:
    promised_due: datetime
    legal_due: datetime
    yellow_at: datetime
    calendar_missing: bool


def _local(dt: datetime, zone: ZoneInfo) -> datetime:
    return dt.astimezone(zone).replace(tzinfo=None)


def _add_workdays(
    cal: Calendar, start: datetime, days: float, zone: ZoneInfo
) -> tuple[datetime, bool]:
    """start + `days` working days; a year without holiday data falls back to natural
    days (stricter) and says so, as cases do."""
    try:
        return cal.deadline(_local(start, zone), days, "workdays").replace(tzinfo=zone), False
    except CalendarUnknown:
        return start + timedelta(days=days), True


def compute(
    cal: Calendar, start: datetime, promised: int, legal: int, share: float, zone: ZoneInfo
) -> Limits:
    """Deadlines from the moment of acceptance (table of examples across holidays in
    tests/test_timelimits.py).

    Raises ValueError for a non-positive limit or a promised limit longer than the legal one.
    """
    if promised <= 0 or legal <= 0 or promised > legal:
        raise ValueError(gettext("时限必须为正数，且承诺时限不得长于法定时限"))
    p, m1 = _add_workdays(cal, start, promised, zone)
    lg, m2 = _add_workdays(cal, start, legal, zone)
    y, m3 = _add_workdays(cal, start, promised * share, zone)
    return Limits(p, lg, y, m1 or m2 or m3)


def push(cal: Calendar, due: datetime, minutes: float, zone: ZoneInfo) -> datetime:
    """A deadline moved on by `minutes` of working time (after a suspension)."""
    try:
        return cal.add_work_minutes(_local(due, zone), minutes).replace(tzinfo=zone)
    except CalendarUnknown:
        return due + timedelta(minutes=minutes * 24 * 60 / max(cal.day_minutes, 1))


def suspended_minutes(cal: Calendar, start: datetime, end: datetime, zone: ZoneInfo) -> float:
    """Working minutes between two aware times (the time an application was suspended)."""
    try:
        return cal.work_minutes_between(_local(start, zone), _local(end, zone))
    except CalendarUnknown:
        return (end - start).total_seconds() / 60 * cal.day_minutes / (24 * 60)


def card(now: datetime, yellow_at: datetime | None, due: datetime | None) -> str:
    """'' (in time), 'yellow' (most of the promised limit used) or 'red' (past it)."""
    if due is None or yellow_at is None:
        return ""
    if now > due:
        return "red"
    if now >= yellow_at:
        return "yellow"
    return ""


def compression(promised: int, legal: int) -> float:
    """提速率 = 1 − promised/legal (六枝 reports 53.39% over all its items)."""
    if legal <= 0:
        return 0.0
    return 1 - promised / legal
