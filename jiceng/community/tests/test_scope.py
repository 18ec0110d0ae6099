"""Every page of the app with one user who may and one who must be refused (a resident of
another village, a street user of another street, a role without the action)."""

from __future__ import annotations

import pytest

from jiceng.community import board, inbox, mediation
from jiceng.community.mediation import PartyIn
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(users, territory, people):
    code = territory.village1.code
    pub = board.publish(users.community, code, kind="notice", title="停水通知", body="周六停水")
    msg = inbox.write(people.resident, code, "路灯坏了", True)
    d = mediation.register(
        users.community,
        code,
        kind="neighbour",
        place="三组",
        summary="两家因排水沟改道发生争执，要求赔偿",
        parties=[PartyIn("applicant", "李建国"), PartyIn("respondent", "王德福")],
    )
    return {"code": code, "pub": pub.pk, "msg": msg.pk, "dispute": d.number}


# (url, allowed, refused, refused status)
CASES = [
    ("/community/v/{code}/", "resident", "other_resident", 404),
    ("/community/v/{code}/", "street", "other_street", 404),
    ("/community/v/{code}/p/{pub}/", "community", "other_street", 404),
    ("/community/v/{code}/publish/", "community", "other_street", 404),
    ("/community/v/{code}/publish/", "community", "resident", 403),
    ("/community/v/{code}/settings/", "community", "street", 403),  # the village's own choice
    ("/community/v/{code}/settings/", "district", "other_district", 404),
    ("/community/v/{code}/message/", "resident", "other_resident", 403),
    ("/community/v/{code}/mine/", "resident", "community", 403),
    ("/community/v/{code}/echo/", "resident", "other_resident", 404),
    ("/community/v/{code}/topics/", "resident", "other_street", 404),
    ("/community/v/{code}/points/", "grid_worker", "other_resident", 404),
    ("/community/v/{code}/cobuild/", "community", "other_street", 404),
    ("/community/messages/", "community", "resident", 403),
    ("/community/messages/{msg}/", "community", "other_street", 404),
    ("/community/messages/{msg}/", "resident", "other_resident", 403),  # the author only
    ("/community/messages/overdue/", "street", "department", 403),
    ("/community/disputes/", "street", "auditor", 403),
    ("/community/disputes/{dispute}/", "community", "other_street", 404),
    ("/community/disputes/stats/", "auditor", "resident", 403),
    ("/community/disputes/committees/", "street", "grid_worker", 403),
    ("/community/policies/new/", "street", "community", 403),
    ("/community/", "community", "department", 403),
    ("/community/", "grid_worker", "department", 403),
]


def _user(users, people, name):
    return getattr(people, name, None) or getattr(users, name)


@pytest.mark.parametrize("url, allowed, refused, status", CASES)
def test_each_page_admits_its_users_and_refuses_outsiders(
    users, people, things, url, allowed, refused, status
):
    path = url.format(**things)
    ok = client_for(_user(users, people, allowed)).get(path)
    assert ok.status_code == 200, (path, allowed, ok.status_code)
    no = client_for(_user(users, people, refused)).get(path)
    assert no.status_code == status, (path, refused, no.status_code)
    assert "李建国" not in no.content.decode()


def test_a_grid_worker_sees_their_own_village_in_the_overview(users, territory):
    page = client_for(users.grid_worker).get("/community/").content.decode()
    assert "城关社区" in page and "五一村" not in page
