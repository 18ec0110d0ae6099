"""The forms of the pages, driven as a person fills them (a mediator through to a printed
agreement, a deliberation to a finished task, points, co-building, settings, policies)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.community.models import (
    CoAgreement,
    Committee,
    Dispute,
    Mediator,
    Membership,
    PointEntry,
    PointRule,
    Policy,
    Task,
    Topic,
    VillageSettings,
)
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _ok(r):
    assert r.status_code in (200, 302), r.status_code
    if r.status_code == 200:
        body = r.content.decode()
        assert "msg-error" not in body, body[body.find("msg-error") : body.find("msg-error") + 200]
    return r


def test_a_mediator_records_a_dispute_through_to_a_printed_agreement(users, territory):
    code = territory.village1.code
    c = client_for(users.community)
    r = _ok(c.post("/community/disputes/committees/", {"action": "committee", "region": code}))
    committee = Committee.objects.get(region_code=code)
    _ok(
        c.post(
            "/community/disputes/committees/",
            {
                "action": "mediator",
                "committee": committee.pk,
                "name": "周志强",
                "phone": "13900000000",
            },
        )
    )
    med = Mediator.objects.get()
    r = c.post(
        "/community/disputes/new/",
        {
            "village": code,
            "kind": "land",
            "place": "三组后山茶园",
            "amount": "8,500",
            "summary": "茶园承包地界不清，双方各自主张约半亩茶地归己",
            "p1_role": "applicant",
            "p1_name": "王永贵",
            "p1_phone": "13912345678",
            "p2_role": "respondent",
            "p2_name": "王永福",
        },
    )
    assert r.status_code == 302
    d = Dispute.objects.get()
    url = f"/community/disputes/{d.number}/"
    _ok(c.post(url, {"action": "assign", "mediator": med.pk}))
    at = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    _ok(
        c.post(
            url,
            {
                "action": "session",
                "at": at,
                "place": "村委会调解室",
                "minutes": "双方到场陈述，调解员释法说理，现场踏勘地界。",
            },
        )
    )
    _ok(
        c.post(
            url,
            {
                "action": "agree",
                "text": "一、以老界桩为准重新立界。二、双方不再争执。",
                "perform_by": "",
            },
        )
    )
    d.refresh_from_db()
    assert d.status == "agreed"
    _ok(c.post(url, {"action": "perform", "performance": "performed", "note": "已重新立界"}))
    printed = c.get(f"{url}agreement/").content.decode()
    assert "人民调解协议书" in printed and "王永贵" in printed and "以老界桩为准" in printed
    bad = c.post(
        url, {"action": "escalate", "reason": "已结案还上报"}, follow=True
    ).content.decode()
    assert "不能再操作" in bad


def test_a_deliberation_from_topic_to_finished_task_through_the_pages(users, territory, people):
    code = territory.village1.code
    staff = client_for(users.community)
    _ok(
        client_for(people.resident).post(
            f"/community/v/{code}/topics/",
            {"title": "村广场增设健身器材", "body": "晚上跳舞散步的人多，建议增设健身器材。"},
        )
    )
    t = Topic.objects.get()
    url = f"/community/v/{code}/topics/{t.pk}/"
    at = (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    _ok(
        staff.post(
            url,
            {
                "action": "meeting",
                "at": at,
                "place": "村委会",
                "expected": "30",
                "attended": "26",
                "minutes": "户代表逐一发表意见，多数赞成。",
            },
        )
    )
    _ok(staff.post(url, {"action": "open_vote"}))
    _ok(client_for(people.resident).post(url, {"action": "vote", "choice": "yes"}))
    _ok(client_for(people.neighbour).post(url, {"action": "vote", "choice": "yes"}))
    _ok(staff.post(url, {"action": "decide", "text": "增设健身器材 10 件"}))
    t.refresh_from_db()
    assert t.status == "adopted" and t.decision.yes == 2
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    _ok(
        staff.post(
            url, {"action": "task", "title": "采购安装健身器材", "owner": "村主任", "due": due}
        )
    )
    task = Task.objects.get()
    _ok(
        staff.post(
            url, {"action": "progress", "task": task.pk, "progress": "100", "note": "已安装验收"}
        )
    )
    task.refresh_from_db()
    assert task.done_at is not None
    page = client_for(people.resident).get(url).content.decode()
    assert "已安装验收" in page and "已完成" in page


def test_points_cobuilding_settings_and_policy_forms(users, territory, people):
    code = territory.village1.code
    staff = client_for(users.community)
    _ok(
        staff.post(
            f"/community/v/{code}/points/",
            {"action": "rule", "category": "环境卫生", "name": "参加义务劳动", "points": "5"},
        )
    )
    rule_id = PointRule.objects.get().pk
    grid = client_for(users.grid_worker)
    _ok(
        grid.post(
            f"/community/v/{code}/points/",
            {
                "action": "record",
                "household_number": "HY-1",
                "household_name": "王德福",
                "rule": rule_id,
                "evidence": "参加河道清淤",
                "on": timezone.localdate().isoformat(),
            },
        )
    )
    e = PointEntry.objects.get()
    _ok(staff.post(f"/community/v/{code}/points/", {"action": "approve", "entry": e.pk}))
    e.refresh_from_db()
    assert e.state == "approved"
    assert (
        "王德福家"
        in client_for(people.resident).get(f"/community/v/{code}/points/").content.decode()
    )

    r = staff.post(
        f"/community/v/{code}/cobuild/", {"partner": "汉阴县中医医院", "title": "医社共建"}
    )
    a = CoAgreement.objects.get()
    url = f"/community/v/{code}/cobuild/{a.pk}/"
    _ok(staff.post(url, {"action": "commit", "text": "每月一次义诊", "by": "partner", "due": ""}))
    for _ in range(3):
        _ok(staff.post(url, {"action": "advance"}))
    a.refresh_from_db()
    assert a.stage == "performing" and r.status_code == 302

    _ok(
        staff.post(
            f"/community/v/{code}/settings/",
            {"action": "settings", "public_board": "on", "reply_days": "7", "reply_unit": "days"},
        )
    )
    s = VillageSettings.objects.get(village_code=code)
    assert s.public_board and s.reply_days == 7 and s.reply_unit == "days"
    bad = staff.post(
        f"/community/v/{code}/settings/",
        {"action": "settings", "reply_days": "0", "reply_unit": "days"},
    ).content.decode()
    assert "1 到 30 天" in bad
    _ok(
        staff.post(
            f"/community/v/{code}/settings/",
            {"action": "member", "username": "resident3", "household_number": "HY-9"},
        )
    )
    assert Membership.objects.get(user=people.neighbour).household_number == "HY-9"
    clash = staff.post(
        f"/community/v/{code}/settings/", {"action": "member", "username": "resident2"}
    ).content.decode()
    assert "已登记在其他村" in clash

    street = client_for(users.street)
    _ok(
        street.post(
            "/community/policies/new/",
            {
                "title": "耕地地力保护补贴",
                "body": "每亩 105 元，按确权面积发放到户。",
                "regions": [code],
                "companies": "汉阴县富硒茶业有限公司",
            },
        )
    )
    p = Policy.objects.get()
    _ok(staff.post("/community/policies/", {"target": p.targets.get(region_code=code).pk}))
    report = street.get(f"/community/policies/{p.pk}/").content.decode()
    assert "community" in report and "未阅" in report  # the company has not read it yet
