"""Legal and promised limits in working days on the cases calendar (国庆 and 调休 of 2026)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jiceng.servicehall import facts, timelimits

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=Z)


@pytest.mark.parametrize(
    "start, promised, legal, want_promised, want_legal, missing",
    [
        # Friday 15:00 + 1 working day -> Monday 15:00
        (at(2026, 11, 27, 15), 1, 2, at(2026, 11, 30, 15), at(2026, 12, 1, 15), False),
        # Wednesday before 国庆: 1–7 Oct are holidays, Sat 10 Oct is a 调休 working day
        (at(2026, 9, 30, 10), 3, 5, at(2026, 10, 10, 10), at(2026, 10, 13, 10), False),
        # taken after hours (18:00) the clock starts next morning: 1 day -> next day 17:30
        (at(2026, 11, 25, 18), 1, 1, at(2026, 11, 26, 17, 30), at(2026, 11, 26, 17, 30), False),
        # into a year without holiday data: natural days, flagged
        (at(2026, 12, 30, 10), 5, 10, at(2027, 1, 4, 10), at(2027, 1, 9, 10), True),
    ],
)
def test_deadlines_in_working_days(calendar_2026, start, promised, legal, want_promised,
                                   want_legal, missing):  # fmt: skip
    lim = timelimits.compute(facts.calendar(), start, promised, legal, 0.8, Z)
    assert lim.promised_due == want_promised
    assert lim.legal_due == want_legal
    assert lim.calendar_missing is missing
    assert start < lim.yellow_at <= lim.promised_due


def test_a_suspension_pushes_a_deadline_by_the_working_time_it_lasted(calendar_2026):
    cal = facts.calendar()
    # suspended Friday 16:00 → Tuesday 09:30: 1.5 h Friday + 7 h Monday + 1 h Tuesday = 9.5 h
    minutes = timelimits.suspended_minutes(cal, at(2026, 11, 27, 16), at(2026, 12, 1, 9, 30), Z)
    assert minutes == 9.5 * 60
    # Wednesday 10:00 + 9.5 h: 5.5 h on Wednesday, 3.5 h Thursday morning, 0.5 h after lunch
    assert timelimits.push(cal, at(2026, 12, 2, 10), minutes, Z) == at(2026, 12, 3, 14, 30)


@pytest.mark.parametrize(
    "now, card",
    [(at(2026, 12, 1, 9), ""), (at(2026, 12, 1, 16), "yellow"), (at(2026, 12, 2, 11), "red")],
)
def test_cards(now, card):
    assert timelimits.card(now, at(2026, 12, 1, 15), at(2026, 12, 2, 10)) == card


@pytest.mark.parametrize("promised, legal", [(0, 5), (6, 5), (3, 0)])
def test_impossible_limits_are_refused(calendar_2026, promised, legal):
    with pytest.raises(ValueError):
        timelimits.compute(facts.calendar(), at(2026, 11, 27, 9), promised, legal, 0.8, Z)


def test_compression_is_one_minus_promised_over_legal():
    assert timelimits.compression(5, 20) == 0.75
    assert timelimits.compression(20, 20) == 0.0
