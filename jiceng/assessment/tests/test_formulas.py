"""Each standard formula against hand-counted cases (table-driven)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiceng.assessment import facts, rankings, rollup
from jiceng.assessment.metrics import DEFAULTS, Formula, evaluate
from jiceng.assessment.models import ExclusionMark
from jiceng.assessment.periods import month_of

from .conftest import at, make_case

NOW = at(31, 18)


def row(**kw):
    base = dict(
        status="closed", urgency=1, region_code="610921001001001001001", unit_id=None,
        created_at=at(1), dispatched_at=at(1, 10), first_response_at=at(1, 11),
        handled_at=at(2), closed_at=at(2), closed_tier=3, closed_on_spot=False,
        closed_on_time=True, deadline=at(8), reopen_count=0, rework_count=0, return_count=0,
        paused_days=0, satisfaction="", resolved=None, rated_at=None, visit_due_at=None,
    )  # fmt: skip
    base.update(kw)
    return base


# (what, row changes, counts that must be 1, counts that must be 0)
CASES = [
    ("closed on time", {}, ["received", "closed", "due", "on_time", "in_time", "responded",
                            "closed_t3"], ["paused", "overdue", "reworked"]),
    ("response after 24 h", {"first_response_at": at(2, 10)}, [], ["responded"]),
    ("特急 response after 2 h", {"urgency": 3, "first_response_at": at(1, 12)}, [], ["responded"]),
    ("closed late", {"closed_at": at(9), "closed_on_time": False, "handled_at": at(9)},
     ["due", "closed", "overdue"], ["on_time", "in_time"]),
    ("paused (缓办)", {"status": "paused", "closed_at": None, "handled_at": None,
                      "closed_tier": None, "closed_on_time": None, "paused_days": 5},
     ["due", "paused", "extended"], ["closed", "on_time", "overdue"]),
    ("open, past deadline", {"status": "handling", "closed_at": None, "handled_at": None,
                             "closed_on_time": None, "deadline": at(5)},
     ["due", "overdue"], ["closed", "paused"]),
    ("open, not yet due", {"status": "handling", "closed_at": None, "handled_at": None,
                           "closed_on_time": None, "deadline": NOW + timedelta(days=3)},
     [], ["due", "overdue"]),
    ("reopened then closed", {"reopen_count": 1}, ["reworked", "closed"], []),
    ("sent back once", {"rework_count": 1}, ["reworked"], []),
    ("satisfied", {"satisfaction": "satisfied", "resolved": True, "rated_at": at(3)},
     ["rated", "satisfied", "resolve_rated", "resolved"], ["basic", "unsatisfied"]),
    ("basic, unresolved", {"satisfaction": "basic", "resolved": False, "rated_at": at(3)},
     ["rated", "basic", "resolve_rated"], ["resolved", "satisfied"]),
    ("grid on the spot", {"closed_tier": 1, "closed_on_spot": True, "handled_at": None},
     ["closed_t1", "in_time"], ["closed_t3"]),
    ("visit missed", {"visit_due_at": at(6)}, ["missed_visit"], []),
    ("returned", {"return_count": 2}, ["returned"], []),
]  # fmt: skip


@pytest.mark.parametrize("what,changes,ones,zeros", CASES, ids=[c[0] for c in CASES])
def test_counts_of_one_case(calendar_2026, what, changes, ones, zeros):
    counts = facts.counts_of(row(**changes), NOW)
    for n in ones:
        assert counts[n] == 1, n
    for n in zeros:
        assert counts[n] == 0, n


def test_working_hours_follow_the_calendar(calendar_2026):
    # Tue 13 Oct 09:00 → Wed 14 Oct 09:00: 3 + 3.5 + 0.5 = 7 working hours
    c = facts.counts_of(row(created_at=at(13, 9), closed_at=at(14, 9)), NOW)
    assert c["hours_sum"] == pytest.approx(7.0) and c["hours_n"] == 1
    # 国庆 (1–7 Oct, seeded holidays) holds no working time: Wed 30 Sep 17:00 → Thu 8 Oct 9:00
    c = facts.counts_of(row(created_at=at(30, 17, month=9), closed_at=at(8, 9)), NOW)
    assert c["hours_sum"] == pytest.approx(0.5 + 0.5)


FS = {d["code"]: Formula.of(d) for d in DEFAULTS}


# (metric, counts, expected value)
VALUES = [
    ("response_rate", {"responded": 9, "received": 10}, 90.0),
    ("satisfaction_rate", {"satisfied": 6, "basic": 2, "rated": 10}, 76.0),  # 6 + 2×0.8
    ("resolution_rate", {"resolved": 3, "resolve_rated": 4}, 75.0),
    ("ontime_close_rate", {"on_time": 6, "due": 10, "paused": 2}, 75.0),  # 6/(10−2)
    ("close_rate", {"closed": 8, "due": 10}, 80.0),
    ("rework_rate", {"reworked": 1, "closed": 8}, 12.5),
    ("extension_rate", {"extended": 1, "dispatched": 4}, 25.0),
    ("timely_rate", {"in_time": 3, "dispatched": 4}, 75.0),
    ("grid_close_share", {"closed_t1": 2, "closed": 8}, 25.0),
    ("village_close_share", {"closed_t1": 2, "closed_t2": 2, "closed": 8}, 50.0),
    ("avg_work_hours", {"hours_sum": 21.0, "hours_n": 3}, 7.0),
    ("report_in_rate", {"calls_on_time": 1, "calls": 2}, 50.0),
    ("report_in_score", {"calls_rating_sum": 9, "calls_rated": 2}, 90.0),  # (4+5)/2 × 20
    ("close_rate", {"closed": 0, "due": 0}, None),  # no denominator: no value
]


@pytest.mark.parametrize("code,counts,expected", VALUES)
def test_formula_values(code, counts, expected):
    assert evaluate(FS, {"": counts})[code]["value"] == expected


def test_three_rates_composite_uses_its_weights():
    counts = {"responded": 10, "received": 10, "resolved": 1, "resolve_rated": 2,
              "satisfied": 1, "rated": 4}  # fmt: skip
    out = evaluate(FS, {"": counts})
    # 0.1×100 + 0.5×50 + 0.4×25 = 45
    assert out["three_rates"]["value"] == 45.0
    fs = dict(FS)
    fs["three_rates"] = Formula.of({**DEFAULTS[3], "components": {
        "response_rate": 30, "resolution_rate": 35, "satisfaction_rate": 35}})  # fmt: skip
    assert evaluate(fs, {"": counts})["three_rates"]["value"] == pytest.approx(56.25)


def test_excluded_reasons_are_left_out():
    by_reason = {"": {"closed": 8, "due": 10}, "petition": {"closed": 0, "due": 2}}
    assert evaluate(FS, by_reason)["close_rate"]["value"] == 80.0
    fs = {"close_rate": Formula.of({**FS["close_rate"].__dict__, "exclusions": ()})}
    assert evaluate(fs, by_reason)["close_rate"]["value"] == pytest.approx(66.67)


def test_a_month_of_hand_counted_cases_ranks_the_two_towns(territory, users, calendar_2026):
    """城关镇: 4 cases (1 late, 1 paused, 1 under litigation), 涧池镇: 2 on time."""
    g = territory.grid3a.code
    v3 = territory.grid_v3.code
    make_case(g, at(3))  # on time
    make_case(g, at(4), closed_at=at(20), handled_at=at(20), closed_on_time=False)  # late
    make_case(g, at(5), status="paused", paused_days=3, closed_at=None, closed_tier=None,
              closed_on_time=None, handled_at=None)  # fmt: skip
    lit = make_case(g, at(6), closed_at=at(30), handled_at=at(30), closed_on_time=False)
    make_case(v3, at(7))
    make_case(v3, at(8), reopen_count=1)
    make_case(g, at(3, month=11))  # next month: not counted
    ExclusionMark.objects.create(number=lit.number, reason="litigation", note="（2026）陕0921民初1号",
                                 by=users.district, at=at(10))  # fmt: skip
    facts.refresh(facts.ids_created_between(at(1).date(), at(30, month=11).date()), NOW)
    rollup.refresh_dirty()
    rows = {r["key"]: r for r in rankings.compute("street", "610921", month_of(at(1).date()))}
    town1, town2 = rows[territory.town1.code], rows[territory.town2.code]
    # 按期结案率 城关镇: on time 1 / (due 3 − paused 1) = 50 (litigation case excluded)
    assert town1["metrics"]["ontime_close_rate"]["value"] == 50.0
    assert (town1["metrics"]["ontime_close_rate"]["num"],
            town1["metrics"]["ontime_close_rate"]["den"]) == (1, 2)  # fmt: skip
    assert town2["metrics"]["ontime_close_rate"]["value"] == 100.0
    assert town2["metrics"]["rework_rate"]["value"] == 50.0
    assert town1["counts"]["received"] == 4  # counts shown without exclusions
    assert town2["ranks"]["ontime_close_rate"] == 1 and town1["ranks"]["ontime_close_rate"] == 2


def test_a_range_across_months_reads_day_and_month_rows_alike(territory, users, october):
    from jiceng.assessment.periods import parse

    def received(span):
        rows = rankings.compute("street", "610921", span)
        return {r["key"]: r["counts"]["received"] for r in rows}

    t1, t2 = territory.town1.code, territory.town2.code
    assert received(parse("range", "2026-10-04", "2026-10-07")) == {t1: 3, t2: 1}
    assert received(parse("range", "2026-09-01", "2026-10-31")) == {t1: 5, t2: 2}  # Sep whole
    assert received(parse("range", "2026-09-08", "2026-10-03")) == {t1: 2}
    assert received(parse("quarter", "2026-10-01")) == {t1: 4, t2: 2}
    assert received(parse("week", "2026-10-07")) == {t1: 2, t2: 2}  # Mon 5 – Sun 11
