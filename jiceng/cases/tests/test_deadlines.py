"""Deadlines across Chinese holidays and 调休 days, table-driven (pure arithmetic)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from jiceng.lib.workdays import Calendar, CalendarUnknown, parse_periods


def _cal_2026() -> Calendar:
    import chinese_calendar as cc

    hol, work = [], []
    d = date(2026, 1, 1)
    while d.year == 2026:
        if d.weekday() < 5 and not cc.is_workday(d):
            hol.append(d)
        if d.weekday() >= 5 and cc.is_workday(d):
            work.append(d)
        d += timedelta(days=1)
    return Calendar.build({2026}, hol, work)


CAL = _cal_2026()
T = datetime

DEADLINES = [
    # (start, amount, unit, expected, why)
    (
        T(2026, 9, 30, 17),
        3,
        "workdays",
        T(2026, 10, 10, 17),
        "国庆: Oct 1–7 off; 8, 9, 10 (调休 Sat) work",
    ),
    (
        T(2026, 9, 30, 17),
        1,
        "workdays",
        T(2026, 10, 8, 17),
        "the first working day after National Day",
    ),
    (T(2026, 2, 13, 10), 1, "workdays", T(2026, 2, 14, 10), "Fri → Sat 2-14 is a 调休 working day"),
    (T(2026, 2, 14, 16), 2, "workdays", T(2026, 2, 25, 16), "春节 2-15…2-23 off; 24, 25 work"),
    (
        T(2026, 2, 16, 9),
        1,
        "workdays",
        T(2026, 2, 24, 17, 30),
        "taken on a holiday: clock starts 2-24",
    ),
    (T(2026, 3, 6, 10), 1, "workdays", T(2026, 3, 9, 10), "Friday 10:00 → Monday 10:00"),
    (T(2026, 3, 5, 18, 30), 1, "workdays", T(2026, 3, 6, 17, 30), "after hours: from next opening"),
    (T(2026, 3, 5, 12, 30), 2, "work_hours", T(2026, 3, 5, 16), "lunch break: clock from 14:00"),
    (T(2026, 3, 5, 8, 30), 3.5, "work_hours", T(2026, 3, 5, 12), "ends exactly at noon, not 14:00"),
    (T(2026, 3, 5, 7, 0), 0.5, "work_hours", T(2026, 3, 5, 9), "before opening"),
    (
        T(2026, 10, 1, 10),
        24,
        "hours",
        T(2026, 10, 2, 10),
        "water/power: clock hours run on holidays",
    ),
    (T(2026, 10, 1, 10), 2, "hours", T(2026, 10, 1, 12), "emergency: 2 clock hours"),
    (T(2026, 10, 1, 10), 7, "days", T(2026, 10, 8, 10), "7 natural days"),
    (
        T(2026, 10, 3, 10),
        1,
        "workdays",
        T(2026, 10, 8, 17, 30),
        "mid-holiday: a full day from 10-08",
    ),
    (T(2026, 5, 1, 9), 1, "workdays", T(2026, 5, 6, 17, 30), "劳动节 5-1…5-5 off"),
    (T(2026, 4, 30, 17), 15, "workdays", T(2026, 5, 25, 17), "15 working days; Sat 5-9 is 调休"),
]


@pytest.mark.parametrize(
    "start,amount,unit,expected,why", DEADLINES, ids=[row[-1] for row in DEADLINES]
)
def test_deadlines_follow_the_chinese_working_calendar(start, amount, unit, expected, why):
    assert CAL.deadline(start, amount, unit) == expected


def test_the_yellow_card_comes_at_eighty_percent_of_working_time():
    # 3 working days = 1260 working minutes; 80 % = 1008 → Oct 10 (调休) 10:48
    assert CAL.warning_time(T(2026, 9, 30, 17), 3, "workdays", 0.8) == T(2026, 10, 10, 10, 48)


@pytest.mark.parametrize(
    "start,amount,unit",
    [
        (T(2027, 1, 4, 9), 1, "workdays"),  # a year the data does not know
        (T(2026, 12, 31, 17), 1, "workdays"),  # running into the unknown year
        (T(2027, 1, 4, 9), 2, "work_hours"),
    ],
)
def test_a_year_without_holiday_data_is_refused_not_guessed(start, amount, unit):
    with pytest.raises(CalendarUnknown) as exc:
        CAL.deadline(start, amount, unit)
    assert exc.value.year == 2027
    assert "2027 年" in str(exc.value)


def test_natural_limits_need_no_calendar_data():
    assert CAL.deadline(T(2027, 3, 1, 9), 7, "days") == T(2027, 3, 8, 9)


def test_working_minutes_between_counts_only_working_periods():
    assert CAL.work_minutes_between(T(2026, 9, 30, 17), T(2026, 10, 8, 9)) == 30 + 30


@pytest.mark.parametrize(
    "text,ok",
    [
        ("08:30-12:00,14:00-17:30", True),
        ("09:00-17:00", True),
        ("12:00-08:00", False),
        ("08:00-12:00,11:00-15:00", False),
        ("", False),
    ],
)
def test_working_periods_are_parsed_and_bad_ones_refused(text, ok):
    if ok:
        assert parse_periods(text)
    else:
        with pytest.raises(ValueError):
            parse_periods(text)
