"""Working-day arithmetic for deadlines (pure: no Django, no database).

A `Calendar` knows, for the years it has data for, which dates are official holidays and
which weekend dates are make-up working days (调休). A date in a year it does not know
raises `CalendarUnknown`: a deadline is never silently computed as if every weekday were
a working day (the `chinesecalendar` package only knows the years it was released for).

Working time is a list of periods per working day (default 8:30–12:00 and 14:00–17:30,
7 h; see docs/decisions/0005-cases-working-time.md). Limits come in four units:

- ``hours``: clock hours, around the clock (emergencies: 2 h);
- ``days``: natural days, same clock time N days later (7 natural days);
- ``work_hours``: hours of working time;
- ``workdays``: N working days = N × the length of a working day in working time, so a
  case taken at 17:00 with 3 working days is due at 17:00 on the third working day after,
  and a case taken after hours starts its clock at the next opening.

Times are naive local wall-clock datetimes (Asia/Shanghai); callers convert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

UNITS = ("hours", "days", "work_hours", "workdays")


class CalendarUnknown(Exception):
    """The calendar has no holiday data for this year: an administrator must enter it."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"{year} 年的节假日和调休安排尚未录入，无法按工作日计算期限")


DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)


@dataclass(frozen=True)
class Calendar:
    known_years: frozenset[int]
    holidays: frozenset[date] = frozenset()
    # weekend dates that are working days (调休)
    workdays: frozenset[date] = frozenset()
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    _day_minutes: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        total = sum(_minutes(b) - _minutes(a) for a, b in self.periods)
        object.__setattr__(self, "_day_minutes", total)

    @classmethod
    def build(
        cls,
        known_years: Iterable[int],
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS,
    ) -> Calendar:
        return cls(frozenset(known_years), frozenset(holidays), frozenset(workdays), periods)

    @property
    def day_minutes(self) -> int:
        return self._day_minutes

    def is_workday(self, d: date) -> bool:
        if d.year not in self.known_years:
            raise CalendarUnknown(d.year)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def next_workday(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        for _ in range(400):
            if self.is_workday(d):
                return d
            d += timedelta(days=1)
        raise CalendarUnknown(d.year)  # a year without any working day is not data

    def add_work_minutes(self, start: datetime, minutes: float) -> datetime:
        """`start` plus `minutes` of working time.

        1. Walk the working periods of the current working day from `start`.
        2. Consume each period's remaining minutes until the budget is spent.
        3. The deadline is where the budget runs out; with 0 minutes left at the end of a
           period, the deadline is that period's end (17:30, not the next morning).
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        left = float(minutes)
        d = start.date()
        t = start.time()
        if not self.is_workday(d):
            d = self.next_workday(d)
            t = time(0, 0)
        while True:
            for a, b in self.periods:
                if t >= b:
                    continue
                begin = max(_minutes(t), _minutes(a))
                span = _minutes(b) - begin
                if left <= span:
                    return datetime.combine(d, time(0, 0)) + timedelta(minutes=begin + left)
                left -= span
            d = self.next_workday(d)
            t = time(0, 0)

    def work_minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes in [start, end) — for 'how much of the time is used'."""
        if end <= start:
            return 0.0
        total = 0.0
        d = start.date()
        while d <= end.date():
            if self.is_workday(d):
                for a, b in self.periods:
                    lo = max(datetime.combine(d, a), start)
                    hi = min(datetime.combine(d, b), end)
                    if hi > lo:
                        total += (hi - lo).total_seconds() / 60
            d += timedelta(days=1)
        return total

    def deadline(self, start: datetime, amount: float, unit: str) -> datetime:
        if unit == "hours":
            return start + timedelta(hours=amount)
        if unit == "days":
            return start + timedelta(days=amount)
        if unit == "work_hours":
            return self.add_work_minutes(start, amount * 60)
        if unit == "workdays":
            return self.add_work_minutes(start, amount * self.day_minutes)
        raise ValueError(f"unknown time-limit unit {unit!r}")

    def warning_time(self, start: datetime, amount: float, unit: str, share: float) -> datetime:
        """The yellow-card time: `share` of the limit used, measured in the limit's own unit."""
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        return self.deadline(start, amount * share, unit)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """'08:30-12:00,14:00-17:30' → periods; rejects overlapping or reversed periods."""
    out: list[tuple[time, time]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        ta, tb = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
        if tb <= ta or (out and ta < out[-1][1]):
            raise ValueError(f"工作时段有误：{part}")
        out.append((ta, tb))
    if not out:
        raise ValueError("至少需要一个工作时段")
    return tuple(out)
