"""Deliberation: topics raised by residents, one vote per household representative, the
decision carries the count, follow-up tasks tracked to completion; outsiders refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jiceng.community import deliberation
from jiceng.community.models import Membership, TaskUpdate, Vote
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _topic(people, territory):
    return deliberation.raise_topic(
        people.resident,
        territory.village1.code,
        "村广场增设健身器材",
        "村广场晚上人多，建议增设健身器材并划定停车区域。",
    )


def test_a_second_vote_by_the_same_person_is_refused_and_the_first_stands(users, territory, people):
    t = _topic(people, territory)
    with pytest.raises(ValidationError):  # not yet open
        deliberation.vote(people.resident, t, "yes")
    deliberation.open_vote(users.community, t)
    t.refresh_from_db()
    deliberation.vote(people.resident, t, "yes")
    with pytest.raises(ValidationError) as exc:
        deliberation.vote(people.resident, t, "no")
    assert "已经表决过" in exc.value.messages[0]
    c = client_for(people.resident)
    r = c.post(
        f"/community/v/{territory.village1.code}/topics/{t.pk}/",
        {"action": "vote", "choice": "no"},
        follow=True,
    )
    assert "已经表决过" in r.content.decode()
    assert list(Vote.objects.values_list("choice", flat=True)) == ["yes"]


def test_only_household_representatives_of_the_village_vote(users, territory, people):
    t = _topic(people, territory)
    deliberation.open_vote(users.community, t)
    t.refresh_from_db()
    with pytest.raises(PermissionDenied):
        deliberation.vote(people.other_resident, t, "yes")  # another village
    Membership.objects.filter(user=people.neighbour).update(household_rep=False)
    with pytest.raises(PermissionDenied):
        deliberation.vote(people.neighbour, t, "yes")  # a member but not the household's rep
    with pytest.raises(PermissionDenied):
        deliberation.vote(users.community, t, "yes")  # staff do not vote for households
    with pytest.raises(PermissionDenied):
        deliberation.raise_topic(
            people.other_resident, territory.village1.code, "外村议题", "外村村民不能在本村提出议题"
        )


def test_the_decision_follows_the_majority_and_tasks_are_tracked_to_completion(
    users, territory, people
):
    t = _topic(people, territory)
    deliberation.open_vote(users.community, t)
    t.refresh_from_db()
    deliberation.vote(people.resident, t, "yes")
    deliberation.vote(people.neighbour, t, "no")
    d = deliberation.decide(users.community, t, "增设健身器材 10 件")
    assert (d.adopted, d.yes, d.no) == (False, 1, 1)  # a tie is not a majority
    with pytest.raises(ValidationError):
        deliberation.add_task(users.community, d, "采购", "村主任", timezone.localdate())

    t2 = deliberation.raise_topic(
        users.community, territory.village1.code, "修订村规民约", "红白喜事宴席不超过 15 桌。"
    )
    d2 = deliberation.decide(users.community, t2, "写入村规民约", adopted=True)
    task = deliberation.add_task(
        users.community, d2, "印发新村规民约", "村文书", timezone.localdate() + timedelta(days=5)
    )
    deliberation.update_task(users.community, task, 40, "已完成修订稿")
    with pytest.raises(ValidationError):
        deliberation.update_task(users.community, task, 20, "进度不能倒退")
    deliberation.update_task(users.community, task, 100, "已印发到户")
    task.refresh_from_db()
    assert task.done_at is not None
    assert list(TaskUpdate.objects.values_list("progress", flat=True)) == [40, 100]
    acc = deliberation.accountability(territory.village1.code)
    assert (acc["total"], acc["done"], acc["overdue"]) == (1, 1, 0)
    with pytest.raises(Http404):
        deliberation.update_task(users.other_street, task, 100, "外镇不能操作")


def test_topics_are_public_to_the_village_only(users, territory, people):
    t = _topic(people, territory)
    url = f"/community/v/{territory.village1.code}/topics/{t.pk}/"
    assert client_for(people.neighbour).get(url).status_code == 200
    assert client_for(people.other_resident).get(url).status_code == 404
    assert client_for(users.other_street).get(url).status_code == 404
