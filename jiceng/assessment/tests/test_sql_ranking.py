"""The ranking is valued and ranked by the database (RANK() over the rollups): checked
through the API against a ranking counted by hand, with ties, a unit without a value,
四舍五入 at the third decimal, micro-grids counted for the nearest grid with a worker, and
the previous month joined."""

from __future__ import annotations

import pytest

from jiceng.assessment.tests.conftest import at
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _ranking(user, dim: str) -> dict:
    r = client_for(user).get(f"/api/v1/assessment/rankings?dimension={dim}&start=2026-10-01")
    assert r.status_code == 200, r.content
    return {
        row["key"]: (
            row["name"],
            row["metrics"]["response_rate"]["value"],
            row["ranks"]["response_rate"],
            row["prev"]["response_rate"],
            row["prev_ranks"]["response_rate"],
        )
        for row in r.json()["rows"]
    }


def test_the_sql_ranking_equals_the_one_counted_by_hand(users, territory, hand_counted):
    t = territory
    assert _ranking(users.district, "grid_worker") == {
        t.grid1.code: ("未登记网格员（城关社区一级网格）", 66.67, 1, 100.0, 1),
        t.grid2.code: (f"李网格（{t.grid2.name}）", 66.67, 1, None, None),  # tie: both 1
        hand_counted.code: ("未登记网格员（五一村一级网格）", 3.13, 3, None, None),  # 1, 1, 3
        t.grid_v3.code: ("未登记网格员（双河口村一级网格）", None, None, None, None),
    }
    assert _ranking(users.district, "village") == {
        t.village1.code: ("城关社区", 66.67, 1, 100.0, 1),  # 6/9
        t.village2.code: ("五一村", 3.13, 2, None, None),
        t.village3.code: ("双河口村", None, None, None, None),
    }
    assert _ranking(users.district, "street") == {
        t.town1.code: ("城关镇", 17.07, 1, 100.0, 1),  # 7/41 = 17.073
        t.town2.code: ("涧池镇", None, None, None, None),
    }


def test_a_streets_ranking_holds_its_own_rows_only(users, territory, hand_counted):
    """Scope is applied to the SQL rows: a village sees its own grids, not 五一村's."""
    rows = _ranking(users.community, "grid_worker")
    assert set(rows) == {territory.grid1.code, territory.grid2.code}
    assert rows[territory.grid2.code][2] == 1  # the rank is the county's


@pytest.mark.parametrize("kind", ["month", "quarter"])
def test_the_pre_summed_rows_rank_as_the_region_rows_do(users, territory, october, kind):
    """Decision 0086: every metric of every kind of unit, read from the pre-summed month
    rows (all reasons minus the excluded ones), equals the same ranking summed from the
    day rows — with the exclusion, the pause (缓办), the reopened case and September's
    case of the fixture, a micro-grid counted for its worker and an exclusion that only
    some metrics apply."""
    from dataclasses import replace

    from jiceng.assessment import facts, rankings, rollup
    from jiceng.assessment.models import ExclusionMark
    from jiceng.assessment.periods import parse

    ExclusionMark.objects.create(number=october.town2_a.number, reason="out_of_scope",
                                 note="非本级职责", by=users.district, at=at(11))  # fmt: skip
    facts.refresh([october.town2_a.pk], at(31, 18))
    rollup.refresh_dirty()
    span = parse(kind, "2026-10-01", None)
    fs = rankings.formulas()
    # a third exclusion set: 结案率 also leaves out 非本级职责 (the others do not)
    close = fs["close_rate"]
    fs["close_rate"] = replace(close, exclusions=(*close.exclusions, "out_of_scope"))
    assert len({f.exclusions for f in fs.values() if f.kind == "ratio"}) >= 3
    for with_counts in (True, False):
        a = rankings.ranked_tuples(rankings.DIMS, "610921", span, fs, with_counts,
                                   span.previous())  # fmt: skip
        b = rankings.ranked_tuples(rankings.DIMS, "610921", span, fs, with_counts,
                                   span.previous(), via_months=False)  # fmt: skip
        assert set(a) == set(b) == set(rankings.DIMS)
        for dim in rankings.DIMS:
            assert a[dim][0] == b[dim][0]
            rows_a, rows_b = _plain(a[dim][1]), _plain(b[dim][1])
            assert rows_a == rows_b, dim
            assert rows_a or dim == "department"


def _plain(rows: list[tuple]) -> list[tuple]:
    """Rows with every number a float (PostgreSQL sums the day rows' weighted counts as
    numeric), sorted by key."""
    return sorted(
        (
            tuple(float(x) if x is not None and not isinstance(x, str) else x for x in t)
            for t in rows
        ),  # fmt: skip
        key=lambda t: str(t[0]),
    )
