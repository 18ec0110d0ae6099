"""Resident messages: deadlines per village (working or natural days), answers written
once, the 回音墙 only with consent, overdue replies for the town, a message into a case."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from jiceng.cases import services as case_services
from jiceng.community import inbox
from jiceng.community.models import Message, VillageSettings
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
WED = datetime(2025, 9, 24, 10, 0, tzinfo=TZ)  # before the 2025 National Day holiday


@pytest.mark.parametrize(
    "days, unit, expected",
    [
        # Thu 25, Fri 26, Sun 28 (调休 working day), Mon 29, Tue 30
        (5, "workdays", datetime(2025, 9, 30, 10, 0, tzinfo=TZ)),
        # 1–8 October are holidays, Sat 11 October is a working day
        (6, "workdays", datetime(2025, 10, 9, 10, 0, tzinfo=TZ)),
        (5, "days", datetime(2025, 9, 29, 10, 0, tzinfo=TZ)),
    ],
)
def test_the_reply_deadline_follows_the_villages_setting(
    users, territory, people, days, unit, expected
):
    VillageSettings.objects.create(
        village_code=territory.village1.code, reply_days=days, reply_unit=unit
    )
    m = inbox.write(people.resident, territory.village1.code, "三组路灯坏了", True, now=WED)
    assert m.due_at == expected and not m.calendar_missing
    assert m.due_rule == f"{days} {unit}"


def test_a_whitespace_message_is_refused_and_nothing_is_saved(users, territory, people):
    with pytest.raises(ValidationError) as exc:
        inbox.write(people.resident, territory.village1.code, "  \n\t ", False)
    assert exc.value.messages == ["留言内容不能为空"]
    r = client_for(people.resident).post(
        f"/community/v/{territory.village1.code}/message/", {"body": "   "}
    )
    assert "留言内容不能为空" in r.content.decode()
    assert Message.objects.count() == 0


def test_only_residents_of_the_village_write_there(users, territory, people):
    with pytest.raises(PermissionDenied):
        inbox.write(people.other_resident, territory.village1.code, "我是五一村的", False)
    with pytest.raises(PermissionDenied):
        inbox.write(users.community, territory.village1.code, "工作人员不代替村民留言", False)
    assert (
        client_for(people.other_resident)
        .get(f"/community/v/{territory.village1.code}/message/")
        .status_code
        == 403
    )


def test_an_answer_is_written_once_and_only_by_staff_of_the_village(users, territory, people):
    m = inbox.write(people.resident, territory.village1.code, "三组路灯坏了", True)
    with pytest.raises(Http404):
        inbox.answer(users.other_street, m, "不归我们管")
    inbox.answer(users.community, m, "已联系电工，本周内修好")
    with pytest.raises(ValidationError):
        inbox.answer(users.street, m, "再答一次")
    m.refresh_from_db()
    assert m.reply == "已联系电工，本周内修好" and m.replied_by == users.community
    # the other street cannot open it either
    assert client_for(users.other_street).get(f"/community/messages/{m.pk}/").status_code == 404


def test_the_echo_wall_shows_answered_messages_with_consent_only(users, territory, people):
    yes = inbox.write(people.resident, territory.village1.code, "村口垃圾桶太少", True)
    no = inbox.write(people.neighbour, territory.village1.code, "邻居家狗夜里叫", False)
    waiting = inbox.write(people.neighbour, territory.village1.code, "想问低保怎么申请", True)
    inbox.answer(users.community, yes, "已增加两个垃圾桶")
    inbox.answer(users.community, no, "已上门调解")
    assert list(inbox.echo_wall(territory.village1.code)) == [yes]
    VillageSettings.objects.create(village_code=territory.village1.code, public_board=True)
    page = Client().get(f"/community/v/{territory.village1.code}/echo/").content.decode()
    assert "已增加两个垃圾桶" in page and "已上门调解" not in page and waiting.body not in page
    assert "resident" not in page  # the author's name is masked (r*******)


def test_overdue_replies_are_listed_for_the_town_and_not_for_another_town(users, territory, people):
    late = inbox.write(people.resident, territory.village1.code, "河堤有裂缝", False, now=WED)
    inbox.write(people.resident, territory.village1.code, "刚写的留言", False)
    c = client_for(users.street)
    page = c.get("/community/messages/overdue/").content.decode()
    assert "河堤有裂缝" in page and "刚写的留言" not in page
    other = client_for(users.other_street).get("/community/messages/overdue/").content.decode()
    assert "河堤有裂缝" not in other
    assert client_for(people.resident).get("/community/messages/overdue/").status_code == 403
    inbox.answer(users.community, late, "已报水利站")
    assert "河堤有裂缝" not in c.get("/community/messages/overdue/").content.decode()


def test_a_message_that_is_a_case_goes_into_the_case_loop_linked_both_ways(
    users, territory, people
):
    m = inbox.write(
        people.resident, territory.village1.code, "村东头排水沟堵塞，雨天倒灌进屋", False
    )
    r = client_for(users.community).post(f"/community/messages/{m.pk}/", {"action": "case"})
    assert r.status_code == 302
    m.refresh_from_db()
    case = case_services.get_visible(users.community, m.case_number)
    assert case.channel == "web" and case.external_ref == f"community-message:{m.pk}"
    assert case.region_code == territory.village1.code and str(m.pk) in case.description
    page = client_for(users.community).get(f"/community/messages/{m.pk}/").content.decode()
    assert m.case_number in page
    with pytest.raises(ValidationError):
        inbox.answer(users.community, m, "已转诉求后不能再答复")


def test_the_case_page_links_back_to_the_message_and_the_message_to_the_case(
    users, territory, people
):
    m = inbox.write(
        people.resident, territory.village1.code, "村东头排水沟堵塞，雨天倒灌进屋", False
    )
    r = client_for(users.community).post(f"/community/messages/{m.pk}/", {"action": "case"})
    assert r.status_code == 302
    m.refresh_from_db()
    case_page = client_for(users.community).get(f"/cases/{m.case_number}/")
    assert case_page.status_code == 200
    html = case_page.content.decode()
    assert 'id="community-origin"' in html and f'href="/community/messages/{m.pk}/"' in html
    msg_page = client_for(users.community).get(f"/community/messages/{m.pk}/").content.decode()
    assert f'href="/cases/{m.case_number}/"' in msg_page
    # the county's administrator sees the case and, covering the village, the message too;
    # a department handler given the case would not open the message: no link for them
    html = client_for(users.district).get(f"/cases/{m.case_number}/").content.decode()
    assert f'href="/community/messages/{m.pk}/"' in html
    from jiceng.community.templatetags.community_tags import community_origin

    case = case_services.get_visible(users.community, m.case_number)
    shown = community_origin({"request": SimpleNamespace(user=users.department)}, case)
    assert shown["message"] == m and not shown["open_message"]
