"""The rollup queue (decision 0075): cases are queued after commit and applied in batches;
whatever is applied together, lost, or applied elsewhere first, the wall equals a full
count of the cases."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.cases import services
from jiceng.command import rollup
from jiceng.command.models import LiveEvent, StatusCount, Tally
from jiceng.command.tests.conftest import IN_GRID3A
from jiceng.command.tests.test_rollup import _full, _random_series, _wall_view

pytestmark = pytest.mark.django_db
PREFIX = "610921"


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """intake and move whose after-commit signal is delivered but the queue not flushed."""

    def _intake(**kw):
        kw.setdefault("request_type", "complaint")
        kw.setdefault("category", None)
        kw.setdefault("description", "路灯不亮已经三天了")
        with django_capture_on_commit_callbacks(execute=True):
            return services.intake(**kw)

    def _move(case, name, user, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return services.transition(case, name, user=user, **kw)

    return _intake, _move


def test_intakes_and_moves_queued_together_are_applied_in_one_flush(
    territory, users, units, cats, queued, rollups
):
    """New cases (facts as written) and moved ones (read), some new and moved in the same
    batch (their written facts are stale: read instead) — one apply, the wall exact."""
    intake, move = queued
    rng = random.Random(11)
    _random_series(rng, users, units, cats, intake, move, n_cases=12, n_moves=50)
    now = timezone.now()
    assert rollups.stats()["waiting"] > 0
    assert not Tally.objects.exists()  # nothing applied before the flush
    rollups.flush()
    assert rollups.stats()["waiting"] == 0
    assert _wall_view(users.district, PREFIX, now) == _full(PREFIX, now)


def test_cases_lost_from_the_queue_are_applied_by_the_catch_up(
    territory, users, units, cats, queued, rollups
):
    """A process that dies loses its queue: the catch-up over the history applies them."""
    intake, _ = queued
    for _ in range(3):
        intake(channel="hotline", lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street)
    assert rollups.discard() == 3
    now = timezone.now()
    assert not StatusCount.objects.filter(region_code="").exists()
    rollup.catch_up()
    assert _wall_view(users.district, PREFIX, now) == _full(PREFIX, now)
    assert sum(StatusCount.objects.filter(region_code="").values_list("n", flat=True)) == 3


def test_a_new_case_applied_elsewhere_first_is_counted_once(
    territory, users, units, cats, queued, rollups
):
    """Another process (or the catch-up) applied the case, moved since, before this
    queue's flush: the written facts' insert fails and the batch is applied the long way
    — counted once, in its current state."""
    intake, move = queued
    case = intake(channel="hotline", lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street)
    other = intake(channel="hotline", lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street)
    rollups.discard()
    # what this process had queued: both new cases with their facts as written
    from jiceng.command import facts

    written = {c.pk: facts.facts_of(c) for c in (case, other)}
    move(case, "dispatch", users.street, unit=units.dept)
    rollups.discard()
    rollup.apply_cases([case.pk])  # elsewhere, first: the case as dispatched
    for cid, f in written.items():
        rollups.enqueue(cid, f)
    rollups.flush()
    later = timezone.now() + timedelta(seconds=1)
    assert _wall_view(users.district, PREFIX, later) == _full(PREFIX, later)
    assert Tally.objects.get(case_id=case.pk).status == "dispatched"
    assert Tally.objects.filter(case_id=other.pk).exists()
    # the second apply of `case` changed nothing, so it announced nothing new for it
    assert LiveEvent.objects.filter(data__case_id=case.pk).count() == 1
