"""Reminders go to the outbox once per fact: the one-time notice, the result, the cards."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from jiceng.cases.models import Outbox
from jiceng.servicehall import applications as apps
from jiceng.servicehall import watch
from jiceng.servicehall.tests.test_applications import MON, form, mv

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")


def test_the_notice_and_the_result_reach_the_applicants_phone_once(hall):
    states = {"居民身份证": "missing", "户口簿": "missing"}
    app = apps.intake(hall.village_clerk, form(hall, "RS-001", states=states), now=MON)
    (sms,) = Outbox.objects.filter(kind="sh_notice")
    assert sms.to_phone == app.applicant_phone and "1. 居民身份证" in sms.body
    ids = list(app.materials.values_list("material_id", flat=True))
    mv(hall.village_clerk, app, "supplement", material_ids=ids, now=MON)
    mv(hall.village_clerk, app, "pass", now=MON)
    mv(hall.town_clerk, app, "approve", now=MON)
    assert Outbox.objects.filter(kind="sh_result", to_phone=app.applicant_phone).count() == 1


def test_the_watch_pass_reminds_each_card_once_and_again_after_a_new_deadline(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-002"), now=MON)  # promised 15 days
    yellow = datetime(2026, 12, 10, 10, tzinfo=Z)
    red = datetime(2026, 12, 15, 10, tzinfo=Z)
    assert watch.run_pass(yellow)["yellow"] == 1
    assert watch.run_pass(yellow)["yellow"] == 0  # the same fact is not queued twice
    assert watch.run_pass(red) == {"red": 1, "yellow": 0, "pending": 0, "rectification": 0}
    mv(hall.village_clerk, app, "extend", reason="补充调查", days=5, now=red)
    assert watch.run_pass(datetime(2026, 12, 23, 10, tzinfo=Z))["red"] == 1  # new deadline
    reds = Outbox.objects.filter(kind="sh_red")
    assert reds.count() == 2 and all(o.to_user_id == hall.village_clerk.pk for o in reds)
    call_command("servicehall_watch")  # the command runs (now: nothing new is due)


def test_the_deadline_worker_watches_the_service_hall_in_the_same_pass(hall):
    """One worker for the county: `jiceng worker` queues the hall's cards and sends them."""
    from jiceng.cases import worker

    apps.intake(hall.village_clerk, form(hall, "MZ-002"), now=MON)  # promised 15 days
    stats = worker.run_pass(datetime(2026, 12, 15, 10, tzinfo=Z))
    assert stats["plugins"]["jiceng.servicehall.watch"]["red"] == 1
    (red,) = Outbox.objects.filter(kind="sh_red")
    assert red.state == "sent"  # delivered by the same pass
