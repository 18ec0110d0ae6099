"""The w3 date reader, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jiceng.open311.params import w3_datetime
from jiceng.open311.render import Open311Error

CST = timezone(timedelta(hours=8))

GOOD = [
    ("2026-11-22T10:00:00+08:00", False, datetime(2026, 11, 22, 10, tzinfo=CST)),
    ("2026-11-22T02:00:00Z", False, datetime(2026, 11, 22, 2, tzinfo=UTC)),
    ("2026-11-22T10:00:00 08:00", False, datetime(2026, 11, 22, 10, tzinfo=CST)),  # '+' as space
    ("2026-11-22T10:00+0800", False, datetime(2026, 11, 22, 10, tzinfo=CST)),
    ("2026-11-22T10:00:00.5-05:00", False, datetime(2026, 11, 22, 15, 0, 0, 500000, tzinfo=UTC)),
    ("2026-11-22T10:00:00", False, datetime(2026, 11, 22, 10, tzinfo=CST)),  # local time
    ("2026-11-22", False, datetime(2026, 11, 22, tzinfo=CST)),  # start of the day
    ("2026-11-22", True, datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=CST)),  # its end
    ("2026-11", True, datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=CST)),
    ("2026", False, datetime(2026, 1, 1, tzinfo=CST)),
]
BAD = [
    "",
    "yesterday",
    "2026-13-01",
    "2026-02-30",
    "2026-11-22T25:00:00Z",
    "22/11/2026",
    "2026-11-22T10:00:00+15:00",
    "0000-01-01",
    "9999-12-31T23:59:59-14:00",
    "2026-11-22T10",
]


@pytest.mark.parametrize("raw,end,expected", GOOD)
def test_w3_dates_are_read_in_every_form_of_the_note(raw, end, expected):
    assert w3_datetime(raw, "start_date", end=end) == expected


@pytest.mark.parametrize("raw", BAD)
def test_anything_else_is_a_400_naming_the_parameter(raw):
    with pytest.raises(Open311Error) as e:
        w3_datetime(raw, "end_date")
    assert e.value.status == 400 and "end_date" in e.value.descriptions[0]
