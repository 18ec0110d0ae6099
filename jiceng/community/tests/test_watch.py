"""Overdue resident messages pushed to the town by `jiceng worker` (community/watch.py):
once per message, to the town's users only, nothing queued twice, listed for the town."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from jiceng.cases import worker
from jiceng.cases.models import Outbox
from jiceng.community import inbox
from jiceng.community.models import VillageSettings
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)


def _late(territory, people, body="三组路灯坏了半个月"):
    VillageSettings.objects.create(
        village_code=territory.village1.code, reply_days=3, reply_unit="days"
    )
    return inbox.write(people.resident, territory.village1.code, body, True, now=MON)


def test_an_overdue_message_is_told_to_the_town_once_through_the_worker(users, territory, people):
    m = _late(territory, people)
    before = worker.run_pass(MON + timedelta(days=2))  # not yet due
    assert before["plugins"]["jiceng.community.watch"]["overdue_messages"] == 0
    assert not Outbox.objects.filter(kind="community_overdue").exists()

    stats = worker.run_pass(MON + timedelta(days=4))
    assert stats["plugins"]["jiceng.community.watch"] == {
        "overdue_messages": 1,
        "town_reminders": 1,
    }
    (o,) = Outbox.objects.filter(kind="community_overdue")
    # the town's dispatcher (town1), not the other town, not the village's own staff
    assert o.to_user_id == users.street.pk
    assert "城关" in o.body and "1 条" in o.body and "/community/messages/overdue/" in o.body
    assert o.state == "sent"  # delivered by the same pass, after its transaction
    m.refresh_from_db()
    assert m.overdue_notified_at == MON + timedelta(days=4)

    again = worker.run_pass(MON + timedelta(days=5))
    assert again["plugins"]["jiceng.community.watch"]["overdue_messages"] == 0
    assert Outbox.objects.filter(kind="community_overdue").count() == 1

    # the town sees it listed; the other town does not
    page = client_for(users.street).get("/community/messages/overdue/").content.decode()
    assert "三组路灯坏了半个月" in page and "已告知镇街" in page
    other = client_for(users.other_street).get("/community/messages/overdue/").content.decode()
    assert "三组路灯坏了半个月" not in other


def test_an_answered_message_is_not_pushed_and_nothing_is_queued_inside_a_failed_pass(
    users, territory, people
):
    from jiceng.community import watch

    m = _late(territory, people)
    inbox.answer(users.community, m, "已联系电工修好", now=MON + timedelta(days=1))
    late = _late_again(territory, people)
    # a pass that fails after queuing leaves nothing behind (one transaction)
    with pytest.raises(RuntimeError), transaction.atomic():
        watch.run_pass(MON + timedelta(days=4))
        raise RuntimeError("killed")
    assert not Outbox.objects.filter(kind="community_overdue").exists()
    out = watch.run_pass(MON + timedelta(days=4))
    assert out == {"overdue_messages": 1, "town_reminders": 1}
    late.refresh_from_db()
    m.refresh_from_db()
    assert late.overdue_notified_at is not None and m.overdue_notified_at is None


def _late_again(territory, people):
    return inbox.write(people.neighbour, territory.village1.code, "垃圾没人清运", True, now=MON)
