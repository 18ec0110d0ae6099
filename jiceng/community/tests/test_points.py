"""Household points: totals equal the sum of approved entries, four eyes, the boards mask
the black list, a resident sees their own household; co-building steps in order."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.models import Role
from jiceng.community import cobuild, points
from jiceng.community.models import Membership, PointEntry
from jiceng.testing import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(users, territory):
    code = territory.village1.code
    return {
        "labour": points.add_rule(
            users.community,
            code,
            category="环境卫生",
            name="参加义务劳动",
            points=5,
            source="村规民约第八条",
        ),
        "elder": points.add_rule(
            users.community, code, category="孝老爱亲", name="评为好媳妇", points=10
        ),
        "litter": points.add_rule(
            users.community, code, category="环境卫生", name="乱倒垃圾", points=-5
        ),
    }


def _entry(user, territory, number, name, rule, on):
    return points.record(
        user,
        territory.village1.code,
        household_number=number,
        household_name=name,
        rule_id=rule.pk,
        evidence="现场核实，有照片",
        on=on,
    )


@pytest.mark.parametrize(
    "entries, expected",
    [
        ([("labour", True), ("labour", True), ("elder", True)], 20),
        ([("labour", True), ("litter", True)], 0),
        ([("labour", True), ("elder", False)], 5),  # a rejected entry does not count
        ([("litter", True), ("litter", True)], -10),
    ],
)
def test_a_households_total_is_the_sum_of_its_approved_entries(
    users, territory, rules, entries, expected
):
    on = timezone.localdate().replace(day=1)
    for key, ok in entries:
        e = _entry(users.grid_worker, territory, "HY-001", "王德福", rules[key], on)
        points.approve(users.community, e, ok)
    rows = points.totals(territory.village1.code, on)
    assert rows == [{"household_number": "HY-001", "household_name": "王德福", "points": expected}]
    approved = PointEntry.objects.filter(state="approved", household_number="HY-001")
    assert sum(e.points for e in approved) == expected


def test_no_one_approves_their_own_entry_and_outsiders_are_refused(users, territory, rules):
    e = points.record(
        users.community,
        territory.village1.code,
        household_number="HY-002",
        household_name="李春花",
        rule_id=rules["labour"].pk,
        evidence="参加清淤",
    )
    with pytest.raises(PermissionDenied):
        points.approve(users.community, e)
    with pytest.raises(Http404):
        points.approve(users.other_street, e)
    points.approve(users.street, e)
    with pytest.raises(ValidationError):
        points.approve(users.street, e)
    with pytest.raises(PermissionDenied):  # a street dispatcher approves, does not record
        _entry(users.other_street, territory, "X", "外镇", rules["labour"], None)
    other_staff = make_user("staff2", Role.COMMUNITY_STAFF, territory.village2)
    with pytest.raises(Http404):  # staff of another village
        _entry(other_staff, territory, "X", "五一村干部", rules["labour"], None)
    with pytest.raises(ValidationError):  # a rule of this village only
        points.record(
            other_staff,
            territory.village2.code,
            household_number="W",
            household_name="五一村",
            rule_id=rules["labour"].pk,
            evidence="不是本村规则",
        )


def test_a_rule_changed_later_does_not_rewrite_history(users, territory, rules):
    e = _entry(users.grid_worker, territory, "HY-003", "张桂兰", rules["labour"], None)
    points.approve(users.community, e)
    rules["labour"].points = 50
    rules["labour"].save()
    assert points.totals(territory.village1.code)[0]["points"] == 5


def test_the_boards_name_the_red_and_mask_the_black(users, territory, rules, people):
    on = timezone.localdate().replace(day=1)  # the month the pages show: the local one
    for number, name, key in [("A", "王德福", "elder"), ("B", "李春花", "litter")]:
        points.approve(
            users.community, _entry(users.grid_worker, territory, number, name, rules[key], on)
        )
    red, black = points.boards(territory.village1.code, on)
    assert [r["household_name"] for r in red] == ["王德福"]
    assert [r["household_name"] for r in black] == ["李**"]
    Membership.objects.filter(user=people.resident).update(household_number="A")
    page = (
        client_for(people.resident)
        .get(f"/community/v/{territory.village1.code}/points/mine/")
        .content.decode()
    )
    assert "10 分" in page and "评为好媳妇" in page
    assert (
        client_for(people.other_resident)
        .get(f"/community/v/{territory.village1.code}/points/mine/")
        .status_code
        == 403
    )
    assert (
        client_for(people.other_resident)
        .get(f"/community/v/{territory.village1.code}/points/")
        .status_code
        == 404
    )


def test_a_co_building_agreement_goes_through_its_five_steps_in_order(users, territory, people):
    code = territory.village1.code
    a = cobuild.start(
        users.community, code, partner="国网汉阴县供电分公司", title="党建共建·用电服务进社区"
    )
    with pytest.raises(ValidationError):
        cobuild.advance(users.community, a)  # no commitment yet
    c1 = cobuild.add_commitment(users.community, a, "每季度上门检查独居老人家中线路", True, None)
    c2 = cobuild.add_commitment(users.community, a, "社区提供活动场地", False, None)
    url = f"/community/v/{code}/cobuild/"
    assert "用电服务" not in client_for(people.resident).get(url).content.decode()  # not shown yet
    a = cobuild.advance(users.community, a)  # 签约
    with pytest.raises(ValidationError):
        cobuild.add_commitment(users.community, a, "签约后加的", True, None)
    a = cobuild.advance(users.community, a)  # 亮约
    assert "用电服务" in client_for(people.resident).get(url).content.decode()
    cobuild.fulfil(users.community, c1, "已检查 23 户")
    a = cobuild.advance(users.community, a)  # 履约
    with pytest.raises(ValidationError):
        cobuild.advance(users.community, a, "很好", {c1.pk: 5})  # every commitment rated
    a = cobuild.advance(users.community, a, "双方履约良好", {c1.pk: 5, c2.pk: 4})
    assert a.stage == "evaluated" and all(
        [a.signed_at, a.shown_at, a.performing_at, a.evaluated_at]
    )
    with pytest.raises(Http404):
        cobuild.start(users.other_street, code, partner="x", title="y")
