from __future__ import annotations

from typing import Any

import pytest

from jiceng.cases import services
from jiceng.cases.models import CaseEvent, Status, Tier


@pytest.mark.django_db
def test_a_resident_report_is_placed_in_its_grid_and_numbered_for_the_phone(users, cats, in_grid):
    case = services.intake(
        channel="web",
        request_type="complaint",
        category=cats.road,
        description="学校门口的路面塌了一个大坑，晚上很危险",
        user=users.resident,
        **in_grid,
    )
    assert case.region_code == "610921001001001001001"
    assert case.number.startswith("610921-") and case.number.endswith("-0001")
    assert case.status == Status.REPORTED
    assert case.tier == Tier.STREET and case.owner_unit.name == "城关镇综治中心"
    assert case.reporter == users.resident and case.reporter_phone == "13800000001"
    assert case.deadline is not None and case.yellow_at < case.deadline
    assert list(case.events.values_list("move", flat=True)) == ["report"]


@pytest.mark.django_db
def test_the_whole_loop_leaves_one_event_per_move(users, cats, in_grid):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )
    assert case.status == Status.REGISTERED
    case = services.transition(case, "dispatch", user=users.street)
    assert case.unit == users.dept
    case = services.transition(case, "accept", user=users.department)
    case = services.transition(case, "report_handling", user=users.department, reason="已修补")
    case = services.transition(case, "verify_close", user=users.street)
    assert case.status == Status.CLOSED and case.closed_tier == Tier.STREET
    case = services.transition(
        case, "return_visit", user=users.street, satisfaction="satisfied", resolved=True
    )
    moves = list(CaseEvent.objects.filter(case=case).values_list("move", flat=True))
    assert moves == [
        "report",
        "register",
        "dispatch",
        "accept",
        "report_handling",
        "verify_close",
        "return_visit",
    ]


@pytest.mark.django_db
def test_an_unsatisfied_return_visit_reopens_the_case(users, cats, in_grid):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("dispatch", users.street, {}),
        ("accept", users.department, {}),
        ("report_handling", users.department, {"reason": "已修补"}),
        ("verify_close", users.street, {}),
    ]
    for move, u, kw in steps:
        case = services.transition(case, move, user=u, **kw)
    case = services.transition(
        case, "return_visit", user=users.street, satisfaction="unsatisfied", resolved=False
    )
    assert case.status == Status.HANDLING and case.reopen_count == 1
    assert case.unit == users.dept


@pytest.mark.django_db
def test_history_is_append_only(users, cats, in_grid):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    ev = case.events.first()
    ev.reason = "篡改"
    with pytest.raises(ValueError, match="never edited"):
        ev.save()
    with pytest.raises(ValueError, match="never deleted"):
        ev.delete()


@pytest.mark.django_db
def test_a_late_closure_is_recorded_as_not_on_time(users, cats, in_grid):
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.cases.models import Case

    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(hours=1))
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("dispatch", users.street, {}),
        ("accept", users.department, {}),
        ("report_handling", users.department, {"reason": "已修补"}),
        ("verify_close", users.street, {}),
    ]
    for move, u, kw in steps:
        case = services.transition(case, move, user=u, **kw)
    assert case.closed_on_time is False and case.first_response_at is not None
    assert case.visit_due_at is not None, "a return-visit task is due"
