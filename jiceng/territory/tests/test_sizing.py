"""Sizing rules as data: 安康's 20–30 households or 70–120 people; urban 300–500."""

from __future__ import annotations

import pytest

from jiceng.territory.models import SizingRule
from jiceng.territory.sizing import check, rule_for

RURAL = SizingRule(name="农村", urban=False, grid_level=3, min_households=20, max_households=30, min_population=70, max_population=120)  # fmt: skip
URBAN = SizingRule(name="城镇", urban=True, grid_level=3, min_households=300, max_households=500)


@pytest.mark.parametrize(
    "rule, households, population, ok, words",
    [
        (RURAL, 25, 80, True, ""),
        (RURAL, 20, 10, True, ""),  # households in range is enough
        (RURAL, 35, 110, True, ""),  # … or people in range
        (RURAL, 35, 130, False, "偏多"),
        (RURAL, 12, 40, False, "偏少"),
        (URBAN, 300, 0, True, ""),
        (URBAN, 500, 0, True, ""),
        (URBAN, 501, 0, False, "偏多"),
        (URBAN, 280, 900, False, "偏少"),  # no population range: people do not help
    ],
)
def test_a_grid_meets_its_rule_by_households_or_people(rule, households, population, ok, words):
    reason = check(rule, households, population)
    assert (reason is None) == ok
    if not ok:
        assert words in reason


def test_the_rule_for_a_grid_is_its_own_level_first_then_any_level():
    anylevel = SizingRule(name="任意", urban=False, grid_level=None, min_households=1)
    assert rule_for([anylevel, RURAL, URBAN], False, 3) is RURAL
    assert rule_for([anylevel, RURAL, URBAN], False, 2) is anylevel
    assert rule_for([RURAL, URBAN], True, 2) is None


@pytest.mark.django_db
def test_the_default_rules_are_seeded():
    rules = {(r.urban, r.grid_level, r.min_households, r.max_households, r.min_population, r.max_population) for r in SizingRule.objects.all()}  # fmt: skip
    assert rules == {(True, 3, 300, 500, None, None), (False, 3, 20, 30, 70, 120)}
