"""The command-centre summary (services.summary) and intake numbering under load."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.utils import timezone

from jiceng.cases import services
from jiceng.cases.models import Case, Status


def _hotline(user, text="解放路路面破损，请尽快修补", **kw):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=None,
        description=text,
        reporter_phone="13900001111",
        user=user,
        **kw,
    )


@pytest.mark.django_db
def test_the_summary_counts_open_overdue_and_todays_cases_of_the_users_territory(
    users, units, in_grid
):
    now = timezone.now()
    a = _hotline(users.street, now=now, **in_grid)
    b = _hotline(users.street, now=now, **in_grid)
    c = _hotline(users.street, now=now, **in_grid)
    # b is overdue; c is closed today
    Case.objects.filter(pk=b.pk).update(deadline=now - timedelta(hours=1))
    Case.objects.filter(pk=c.pk).update(status=Status.CLOSED, closed_at=now)
    # a case in the other town: outside the street user's scope
    _hotline(users.other_street, region_code="610921002", now=now)

    s = services.summary(users.street, now=now + timedelta(minutes=1))
    assert s["by_status"][Status.REGISTERED] == 2
    assert s["by_status"][Status.CLOSED] == 1
    assert s["open"] == 2
    assert s["overdue"] == 1
    assert s["today_new"] == 3 and s["today_closed"] == 1
    assert s["open_by_tier"] == {a.tier: 2}
    assert [(r["unit_id"], r["n"], r["overdue"]) for r in s["open_by_unit"]] == [(a.unit_id, 2, 1)]
    assert s["open_by_unit"][0]["unit_name"] == "城关镇综治中心"

    whole = services.summary(users.district, now=now + timedelta(minutes=1))
    assert whole["open"] == 3 and whole["today_new"] == 4


@pytest.mark.django_db
def test_the_summary_is_refused_to_roles_without_the_board(users, units):
    for user in (users.resident, users.department, users.auditor):
        with pytest.raises(PermissionDenied):
            services.summary(user)


@pytest.mark.django_db
def test_the_summary_of_an_outsider_sees_none_of_the_county(users, units, in_grid):
    _hotline(users.street, **in_grid)
    s = services.summary(users.other_district)
    assert s["open"] == 0 and s["today_new"] == 0 and s["open_by_unit"] == []


@pytest.mark.django_db
def test_an_intake_registered_at_once_is_one_row_with_a_report_and_a_register_event(
    users, units, in_grid
):
    case = _hotline(users.street, **in_grid)
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.registered_at is not None
    assert case.version == 1
    evs = list(case.events.order_by("pk").values_list("move", "from_status", "to_status"))
    assert evs == [("report", "", "reported"), ("register", "reported", "registered")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_unique_consecutive_numbers_on_postgresql(users, units, in_grid):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serialises every write)")
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            for _ in range(5):
                n = _hotline(users.street, **in_grid).number
                with lock:
                    numbers.append(n)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(numbers) == 20 and len(set(numbers)) == 20
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 21))
