"""One writer of case history: moves, intake and the worker's cards all bump the case's
version and announce `case_changed` after commit — never for a change rolled back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.cases import services, worker
from jiceng.cases.models import Case, CaseEvent


@pytest.fixture
def heard():
    got: list[tuple[str, str, int]] = []

    def receiver(sender, case, move, event, **kw):
        got.append((case.number, move, event.case_id))

    services.case_changed.connect(receiver, dispatch_uid="test-history")
    yield got
    services.case_changed.disconnect(dispatch_uid="test-history")


def _case(users, cats):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        lon=108.405,
        lat=32.805,
    )


@pytest.mark.django_db(transaction=True)
def test_moves_and_the_workers_cards_go_through_one_writer(users, cats, heard):
    case = _case(users, cats)
    assert [m for _, m, _ in heard] == ["report", "register"]
    case = services.transition(case, "dispatch", user=users.street)
    v = Case.objects.get(pk=case.pk).version
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        yellow_at=now - timedelta(minutes=1), deadline=now + timedelta(hours=3)
    )
    heard.clear()
    stats = worker.run_pass(now=now, send=False)
    assert stats["yellow"] == 1
    assert heard == [(case.number, "remind", case.pk)]
    assert Case.objects.get(pk=case.pk).version == v + 1
    assert CaseEvent.objects.filter(case=case, move="remind", actor_label="系统").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_move_is_never_announced(users, cats, heard):
    case = _case(users, cats)
    heard.clear()
    v = Case.objects.get(pk=case.pk).version
    with pytest.raises(services.MoveRefused):
        services.transition(case, "verify_close", user=users.street)
    assert heard == [] and Case.objects.get(pk=case.pk).version == v


@pytest.mark.django_db(transaction=True)
def test_a_merge_changes_the_target_too(users, cats, heard):
    a, b = _case(users, cats), _case(users, cats)
    vb = Case.objects.get(pk=b.pk).version
    heard.clear()
    services.transition(a, "merge", user=users.street, reason="同一路段", into=b.number)
    assert (b.number, "absorb", b.pk) in heard and (a.number, "merge", a.pk) in heard
    assert Case.objects.get(pk=b.pk).version == vb + 1
