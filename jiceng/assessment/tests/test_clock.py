"""The deadline worker keeps the facts the clock changes current (cases.worker.worker_pass):
each pass recomputes only the cases whose deadline or return-visit limit fell since the
last pass, and rebuilds their rollups, so a ranking read later is current without a cron."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiceng.assessment.tests.conftest import at, make_case
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
PLUGIN = "jiceng.assessment.facts"


def _close_rate(user, key: str) -> float | None:
    r = client_for(user).get("/api/v1/assessment/rankings?dimension=street&start=2026-10-01")
    assert r.status_code == 200, r.content
    return next(x for x in r.json()["rows"] if x["key"] == key)["metrics"]["close_rate"]["value"]


def test_the_worker_pass_refreshes_only_what_the_clock_changed(users, territory, calendar_2026):
    from jiceng.assessment import facts, rollup
    from jiceng.assessment.models import CaseFact, DailyRollup, DirtyCase, DirtyDay
    from jiceng.cases import deadlines
    from jiceng.cases.models import Case
    from jiceng.cases.worker import run_pass

    g = territory.grid1.code
    open_case = make_case(g, at(3), status="handling", deadline=at(10), closed_at=None,
                          handled_at=None, closed_tier=None, closed_on_time=None)  # fmt: skip
    # closed on the 20th, never visited: the visit is due 3 working days later
    visit = make_case(g, at(3, 10), closed_at=at(20), handled_at=at(20), closed_on_time=False)
    visit_due = deadlines.visit_due(at(20))
    Case.objects.filter(pk=visit.pk).update(visit_due_at=visit_due)
    facts.refresh(Case.objects.values_list("pk", flat=True), at(5))
    rollup.refresh_dirty()
    town = territory.town1.code
    assert _close_rate(users.district, town) == 100.0  # 1 closed / 1 due (the 20th: late)

    def facts_of(case):
        return CaseFact.objects.values("due", "overdue", "missed_visit").get(case_id=case.pk)

    def month_sum(name):
        row = DailyRollup.objects.filter(grain="m", day=at(1).date(), street_code=town)
        return sum(row.values_list(name, flat=True))

    assert run_pass(at(6))["plugins"][PLUGIN]["clock_facts"] == 0  # nothing due yet
    stats = run_pass(at(11))  # the open case's deadline (10th) has passed
    assert stats["plugins"][PLUGIN]["clock_facts"] == 1
    assert facts_of(open_case) == {"due": 1, "overdue": 1, "missed_visit": 0}
    # rollups rebuilt by the pass (the other case was closed late: overdue too)
    assert (month_sum("due"), month_sum("overdue")) == (2, 2)
    assert not DirtyDay.objects.exists() and not DirtyCase.objects.exists()
    assert _close_rate(users.district, town) == 50.0  # 1 closed / 2 due
    assert run_pass(at(11, 18))["plugins"][PLUGIN]["clock_facts"] == 0  # nothing new
    assert run_pass(visit_due - timedelta(minutes=1))["plugins"][PLUGIN]["clock_facts"] == 0
    # the worker issues the visit task and clears visit_due_at; the visit is still missed
    assert run_pass(visit_due + timedelta(minutes=1))["plugins"][PLUGIN]["clock_facts"] == 1
    assert Case.objects.get(pk=visit.pk).visit_due_at is None
    assert facts_of(visit)["missed_visit"] == 1 and month_sum("missed_visit") == 1
    assert run_pass(visit_due + timedelta(days=1))["plugins"][PLUGIN]["clock_facts"] == 0
