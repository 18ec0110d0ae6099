"""One writer of case history: moves, intake and the worker's cards all bump the case's
version and announce after commit — `case_changed` once per case and transaction, with
every event written (the worker's cards: `cases_changed` once per batch), and never for a
change rolled back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from jiceng.cases import services, worker
from jiceng.cases.models import Case, CaseEvent


@pytest.fixture
def heard():
    got: list[tuple[str, list[str], int]] = []

    def receiver(sender, case, events, **kw):
        assert all(e.case_id == case.pk for e in events)
        got.append((case.number, [e.move for e in events], case.pk))

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
    assert heard == [(case.number, ["report", "register"], case.pk)]  # one for the intake
    case = services.transition(case, "dispatch", user=users.street)
    v = Case.objects.get(pk=case.pk).version
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        yellow_at=now - timedelta(minutes=1), deadline=now + timedelta(hours=3)
    )
    heard.clear()
    batches: list[list[int]] = []

    def on_batch(sender, case_ids, **kw):
        batches.append(list(case_ids))

    services.cases_changed.connect(on_batch, dispatch_uid="test-history-batch")
    try:
        stats = worker.run_pass(now=now, send=False)
    finally:
        services.cases_changed.disconnect(dispatch_uid="test-history-batch")
    assert stats["yellow"] == 1
    # the worker's cards are announced once per batch (`cases_changed`), not per case
    assert batches == [[case.pk]] and heard == []
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
    assert sorted(heard) == sorted([(b.number, ["absorb"], b.pk), (a.number, ["merge"], a.pk)])
    assert Case.objects.get(pk=b.pk).version == vb + 1


@pytest.mark.django_db(transaction=True)
def test_a_move_and_its_follow_up_are_announced_once_together(users, cats, heard):
    """An unsatisfied return visit reopens the case in the same transaction: one
    announcement with both events, not two."""
    case = _case(users, cats)
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("dispatch", users.street, {}),
        ("accept", users.department, {}),
        ("report_handling", users.department, {"reason": "已修补"}),
        ("verify_close", users.street, {}),
    ]
    for move, u, kw in steps:
        case = services.transition(case, move, user=u, **kw)
    heard.clear()
    services.transition(
        case, "return_visit", user=users.street, satisfaction="unsatisfied", resolved=False
    )
    assert heard == [(case.number, ["return_visit", "reopen"], case.pk)]


@pytest.mark.django_db(transaction=True)
def test_writes_in_one_transaction_are_one_announcement_without_the_rolled_back_ones(
    users, cats, heard
):
    """Two moves of one case in one outer transaction: one announcement at its commit;
    a move inside a savepoint that is rolled back is not in it; nothing before the commit."""
    case = _case(users, cats)
    other = _case(users, cats)
    heard.clear()
    with transaction.atomic():
        case = services.transition(case, "dispatch", user=users.street)
        try:
            with transaction.atomic():  # a savepoint: its move is rolled back
                services.transition(case, "accept", user=users.department)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        services.transition(other, "dispatch", user=users.street)
        case.refresh_from_db()
        case = services.transition(case, "accept", user=users.department)
        assert heard == []  # not before the commit
    assert sorted(heard) == sorted(
        [(case.number, ["dispatch", "accept"], case.pk), (other.number, ["dispatch"], other.pk)]
    )
    assert list(CaseEvent.objects.filter(case=case).values_list("move", flat=True)) == [
        "report",
        "register",
        "dispatch",
        "accept",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_case_first_written_in_a_rolled_back_savepoint_is_announced_for_the_rest(
    users, cats, heard
):
    case = _case(users, cats)
    heard.clear()
    with transaction.atomic():
        try:
            with transaction.atomic():
                services.transition(case, "dispatch", user=users.street)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        case.refresh_from_db()
        services.transition(case, "dispatch", user=users.street)
    assert heard == [(case.number, ["dispatch"], case.pk)]
    with transaction.atomic():  # a whole transaction rolled back: nothing
        try:
            with transaction.atomic():
                services.transition(case, "accept", user=users.department)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        transaction.set_rollback(True)
    assert heard == [(case.number, ["dispatch"], case.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_never_fails_the_committed_write(users, cats, heard, caplog):
    def broken(sender, **kw):
        raise RuntimeError("receiver broke")

    services.case_changed.connect(broken, dispatch_uid="test-history-broken")
    try:
        case = _case(users, cats)
    finally:
        services.case_changed.disconnect(dispatch_uid="test-history-broken")
    assert Case.objects.filter(pk=case.pk).exists()
    assert heard == [(case.number, ["report", "register"], case.pk)]
    assert "receiver broke" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_assessment_marks_a_write_in_its_own_transaction(users, cats):
    """Decision 0090: assessment's mark of a written case (`case_written`) is inserted in
    the writer's transaction — a move rolled back leaves no mark, a committed one one."""
    from jiceng.assessment.models import DirtyCase

    case = _case(users, cats)
    assert DirtyCase.objects.filter(case_id=case.pk).count() == 1  # the intake's

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.transition(case, "dispatch", user=users.street)
        assert DirtyCase.objects.filter(case_id=case.pk).count() == 2
        raise Boom
    assert DirtyCase.objects.filter(case_id=case.pk).count() == 1
    services.transition(Case.objects.get(pk=case.pk), "dispatch", user=users.street)
    assert DirtyCase.objects.filter(case_id=case.pk).count() == 2
