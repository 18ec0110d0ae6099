"""A household visit marked 需转为事件办理 becomes exactly one grid case (cases/visit_handover.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.cases import worker
from jiceng.cases.models import Case
from jiceng.people.models import Visit
from jiceng.people.signals import visit_needs_case
from jiceng.people.tests import conftest as people_fixtures
from jiceng.testing import client_for

# The households of the people app's tests, written through its services.
people = people_fixtures.people


def _visit(client, household, **data):
    return client.post(
        f"/api/v1/people/households/{household.id}/visits",
        json.dumps({"found": "屋顶漏雨", "follow_up": "报村委会", **data}),
        content_type="application/json",
    )


@pytest.mark.django_db
def test_a_visit_that_needs_a_case_becomes_one_grid_case_linked_back(
    users, people, django_capture_on_commit_callbacks
):
    c = client_for(users.grid_worker)
    with django_capture_on_commit_callbacks(execute=True):
        assert _visit(c, people.h1, needs_case=True).status_code == 201
    case = Case.objects.get()
    v = Visit.objects.get()
    assert v.case_number == case.number
    assert (case.channel, case.region_code, case.taken_by) == (
        "grid",
        people.h1.grid_code,
        users.grid_worker,
    )
    assert case.status == "registered" and case.home_address
    assert "屋顶漏雨" in case.description and "报村委会" in case.description
    assert case.reporter_name == "张秀兰" and case.reporter_phone == "13991510001"
    listed = c.get(f"/api/v1/people/households/{people.h1.id}/visits").json()
    assert listed[0]["case_number"] == case.number
    html = c.get(f"/people/h/{people.h1.id}/").content.decode()
    assert f'href="/cases/{case.number}/"' in html


@pytest.mark.django_db
def test_a_second_delivery_of_the_signal_makes_no_second_case(
    users, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _visit(client_for(users.grid_worker), people.h1, needs_case=True)
    v = Visit.objects.get()
    visit_needs_case.send(sender=Visit, visit=v, user=users.grid_worker)
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_hand_over_is_taken_in_once_by_the_worker(
    users, people, django_capture_on_commit_callbacks
):
    # The after-commit callbacks are captured but never run: the hand-over is lost.
    with django_capture_on_commit_callbacks(execute=False):
        _visit(client_for(users.grid_worker), people.h1, needs_case=True)
    assert not Case.objects.exists() and Visit.objects.get().case_number == ""
    later = timezone.now() + timedelta(minutes=5)
    assert worker.run_pass(now=later, send=False)["visit_cases"] == 1
    assert worker.run_pass(now=later, send=False)["visit_cases"] == 0
    assert Visit.objects.get().case_number == Case.objects.get().number


@pytest.mark.django_db
def test_a_visit_without_the_mark_makes_no_case(users, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _visit(client_for(users.grid_worker), people.h1, needs_case=False)
    assert not Case.objects.exists()
    later = timezone.now() + timedelta(minutes=5)
    assert worker.run_pass(now=later, send=False)["visit_cases"] == 0


@pytest.mark.django_db
def test_the_case_from_a_visit_keeps_the_household_private_from_the_auditor(
    users, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _visit(client_for(users.grid_worker), people.h1, needs_case=True)
    case = Case.objects.get()
    body = client_for(users.auditor).get(f"/cases/{case.number}/").content.decode()
    assert "13991510001" not in body and "张秀兰" not in body
    assert "5组17号" not in body and "*组**号" in body
