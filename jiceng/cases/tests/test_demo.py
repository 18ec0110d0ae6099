from __future__ import annotations

import time

import pytest

from jiceng.cases.models import Case, Category, Status


@pytest.mark.django_db
def test_the_demo_fills_every_state_and_every_demo_queue(territory):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.accounts.models import User
    from jiceng.cases import demo as cases_demo
    from jiceng.cases import services
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.5)
    accounts_demo.build(ctx)
    t0 = time.perf_counter()
    cases_demo.build(ctx)
    took = time.perf_counter() - t0
    states = set(Case.objects.values_list("status", flat=True))
    missing = {s for s in Status.values if s not in states} - {Status.SPLIT}
    assert not missing, f"demo lacks cases in {missing}"
    assert Category.objects.filter(extra_fields__len__gt=0).exists() or any(
        c.extra_fields for c in Category.objects.all()
    )
    from jiceng.cases.views import _todo_q

    for name in ["street", "dept", "resident", "grid", "district", "community"]:
        u = User.objects.get(username=name)
        assert services.visible_cases(u).filter(_todo_q(u)).exists(), f"{name}'s queue is empty"
    assert took < 30


@pytest.mark.django_db
def test_the_demo_wall_shows_a_few_red_and_about_a_tenth_yellow(territory):
    """A county's wall is mostly in time; the demo must not show a third of it red."""
    from jiceng.accounts import demo as accounts_demo
    from jiceng.cases import demo as cases_demo
    from jiceng.cases.workflow import WATCHED_STATES
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.5)
    accounts_demo.build(ctx)
    cases_demo.build(ctx)
    watched = Case.objects.filter(status__in=WATCHED_STATES)
    n = watched.count()
    red, yellow = watched.filter(card="red").count(), watched.filter(card="yellow").count()
    assert n > 50
    assert 1 <= red <= 0.1 * n, (red, n)
    assert 1 <= yellow <= 0.25 * n, (yellow, n)
