"""Announcements and instructions: chosen regions and roles, receipts, deadlines,
acknowledgement, completion, overdue counted; an empty group refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.command import notices
from jiceng.command.models import Notice, NoticeRecipient
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def test_an_instruction_to_a_street_reaches_its_staff_with_receipts_and_overdue(users):
    c = client_for(users.district)
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(
        "/command/notices/new/",
        {
            "kind": "instruction",
            "title": "防汛检查",
            "body": "请各网格于明日前完成河道巡查",
            "regions": ["610921001"],
            "roles": ["grid_worker", "community_staff"],
            "due_at": due,
        },
    )
    assert r.status_code == 302
    n = Notice.objects.get()
    got = set(NoticeRecipient.objects.filter(notice=n).values_list("user__username", flat=True))
    assert got == {"gridworker", "community"}  # 城关镇's grid worker and community staff only
    gw = client_for(users.grid_worker)
    assert "防汛检查" in gw.get("/command/notices/").content.decode()
    assert (
        "防汛检查" not in client_for(users.other_street).get("/command/notices/").content.decode()
    )
    gw.get(f"/command/notices/{n.pk}/")  # read receipt
    gw.post(f"/command/notices/{n.pk}/", {"action": "ack"})
    bad = gw.post(f"/command/notices/{n.pk}/", {"action": "done", "report": " "})
    assert bad.status_code == 400 and "请填写办结情况" in bad.content.decode()
    gw.post(f"/command/notices/{n.pk}/", {"action": "done", "report": "已巡查，无险情"})
    again = gw.post(f"/command/notices/{n.pk}/", {"action": "done", "report": "改一下"})
    assert again.status_code == 400
    mine = NoticeRecipient.objects.get(notice=n, user=users.grid_worker)
    assert mine.read_at and mine.acked_at and mine.done_at and mine.report == "已巡查，无险情"
    # a day and a bit later: the community staff has not finished → overdue 1
    later = timezone.now() + timedelta(days=2)
    s = notices.sent(users.district, now=later)[0]
    assert (s["total"], s["read"], s["acked"], s["done"], s["overdue"]) == (2, 1, 1, 1, 1)
    assert [x["notice"].pk for x in notices.overdue_instructions(users.district, now=later)] == [
        n.pk
    ]
    page = c.get(f"/command/notices/{n.pk}/").content.decode()
    assert "已巡查，无险情" in page
    # outsiders cannot open it
    for u in (users.other_street, users.department, users.resident):
        assert client_for(u).get(f"/command/notices/{n.pk}/").status_code in (403, 404)


@pytest.mark.parametrize(
    "data,message",
    [
        ({"regions": ["610921002"], "roles": ["department_handler"]}, "没有接收人"),
        ({"regions": []}, "请选择接收的区域或网格"),
        ({"kind": "instruction"}, "须设定办结期限"),
        ({"kind": "instruction", "due_at": "2020-01-01T08:00"}, "须晚于当前时间"),
        ({"title": ""}, "请填写标题"),
        ({"regions": ["610922001"]}, "不在您的管辖范围内"),  # another county
        ({"due_at": "明天", "kind": "instruction"}, "办结期限格式无效"),
    ],
)
def test_bad_notices_are_refused_clearly_and_nothing_is_sent(users, data, message):
    form = {
        "kind": "announcement",
        "title": "通知",
        "body": "内容",
        "regions": ["610921001"],
        **data,
    }
    r = client_for(users.district).post("/command/notices/new/", form)
    assert r.status_code == 400 and message in r.content.decode()
    assert not Notice.objects.exists() and not NoticeRecipient.objects.exists()


def test_a_street_can_only_target_its_own_street(users):
    r = client_for(users.street).post(
        "/command/notices/new/",
        {"kind": "announcement", "title": "t", "body": "b", "regions": ["610921002"]},
    )
    assert r.status_code == 400 and "不在您的管辖范围内" in r.content.decode()
    for u in (users.grid_worker, users.department, users.resident):
        assert client_for(u).get("/command/notices/new/").status_code == 403
