"""Pages to edit mediation committees, mediators and the points rules (村规民约): scoped (a
village its own, a town its own and its villages'), every change in the history, a rule
change never changes past entries' points, errors in Chinese, refused users."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.community import points
from jiceng.community.models import Committee, ConfigChange, Mediator, PointEntry, PointRule
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
URL = "/community/disputes/committees/"


@pytest.fixture
def cmts(territory):
    return {
        key: Committee.objects.create(name=f"{r.name}人民调解委员会", region_code=r.code, level=lvl)
        for key, r, lvl in [
            ("v1", territory.village1, "village"),
            ("v2", territory.village2, "village"),
            ("town1", territory.town1, "town"),
            ("v3", territory.village3, "village"),
        ]
    }


def test_a_village_edits_its_own_committee_and_the_change_is_recorded(users, cmts):
    c = client_for(users.community)  # 城关社区's staff
    r = c.post(URL, {"action": "mediator", "committee": cmts["v1"].pk, "name": "张明",
                     "phone": "13912345678"})  # fmt: skip
    assert r.status_code == 302
    m = Mediator.objects.get(name="张明")
    r = c.post(
        URL, {"action": "mediator_edit", "mediator": m.pk, "name": "张明", "phone": "13912345679"}
    )  # fmt: skip  (unchecked: retired)
    m.refresh_from_db()
    assert m.phone == "13912345679" and not m.active
    c.post(URL, {"action": "committee_edit", "committee": cmts["v1"].pk, "name": "城关社区调委会"})
    assert Committee.objects.get(pk=cmts["v1"].pk).name == "城关社区调委会"
    log = list(ConfigChange.objects.order_by("id").values_list("kind", "action"))
    assert log == [("mediator", "create"), ("mediator", "retire"), ("committee", "edit")]
    page = c.get(URL).content.decode()
    assert "电话：13912345678 → 13912345679" in page and "在任 → 停用" in page
    assert "城关社区人民调解委员会 → 城关社区调委会" in page
    # the neighbouring village's committee is not theirs: 404, nothing changed
    r = c.post(URL, {"action": "committee_edit", "committee": cmts["v2"].pk, "name": "改名"})
    assert r.status_code == 404
    r = c.post(URL, {"action": "mediator", "committee": cmts["town1"].pk, "name": "李四"})
    assert r.status_code == 404
    assert ConfigChange.objects.count() == 3


def test_a_town_edits_its_own_and_its_villages_committees_not_another_towns(users, cmts):
    c = client_for(users.street)  # 城关镇
    for key in ("town1", "v1", "v2"):
        r = c.post(URL, {"action": "mediator", "committee": cmts[key].pk, "name": f"调解员{key}"})
        assert r.status_code == 302
    assert Mediator.objects.count() == 3
    r = client_for(users.other_street).post(
        URL, {"action": "mediator", "committee": cmts["v1"].pk, "name": "外镇的人"}
    )
    assert r.status_code == 404
    # a role without mediation: refused outright
    for u in (users.grid_worker, users.resident, users.department):
        assert client_for(u).get(URL).status_code == 403
        r = client_for(u).post(
            URL, {"action": "mediator", "committee": cmts["v1"].pk, "name": "某"}
        )
        assert r.status_code == 403
    assert not Mediator.objects.filter(name__in=["外镇的人", "某"]).exists()


@pytest.mark.parametrize(
    "data, error",
    [
        ({"name": "", "phone": ""}, "请填写调解员姓名"),
        ({"name": "王五", "phone": "12345"}, "电话号码格式不正确"),
        ({"name": "王" * 51, "phone": ""}, "调解员姓名不能超过 50 字"),
    ],
)
def test_bad_mediators_get_a_chinese_error_and_nothing_is_saved(users, cmts, data, error):
    r = client_for(users.community).post(
        URL, {"action": "mediator", "committee": cmts["v1"].pk, **data}
    )
    assert r.status_code == 200 and error in r.content.decode()
    assert not Mediator.objects.exists() and not ConfigChange.objects.exists()


def test_a_committee_is_set_up_only_inside_the_scope(users, territory):
    c = client_for(users.community)
    assert (
        c.post(URL, {"action": "committee", "region": territory.village1.code}).status_code == 302
    )
    r = c.post(URL, {"action": "committee", "region": territory.village1.code})
    assert "已经设立" in r.content.decode()
    assert c.post(URL, {"action": "committee", "region": territory.town1.code}).status_code == 404
    assert Committee.objects.count() == 1


def _rules_url(territory):
    return f"/community/v/{territory.village1.code}/points/rules/"


def test_a_rule_change_is_a_new_version_and_past_entries_keep_their_points(users, territory):
    code = territory.village1.code
    rule = points.add_rule(users.community, code, category="环境卫生", name="参加义务劳动",
                           points=5)  # fmt: skip
    e = points.record(users.grid_worker, code, household_number="3-12", household_name="王大山",
                      rule_id=rule.pk, evidence="参加河道清淤", on=date(2026, 11, 8))  # fmt: skip
    points.approve(users.community, e)
    c = client_for(users.street)  # the town edits its village's rules
    r = c.post(_rules_url(territory), {"action": "edit", "rule": rule.pk, "category": "环境卫生",
               "name": "参加义务劳动", "points": "3", "source": "村规民约第八条",
               "reason": "村民代表会议修订"})  # fmt: skip
    assert r.status_code == 302
    rule.refresh_from_db()
    new = PointRule.objects.get(replaces=rule)
    assert not rule.active and rule.points == 5 and new.active and new.points == 3
    e.refresh_from_db()
    assert e.points == 5 and e.rule_id == rule.pk
    assert points.totals(code) == [{"household_number": "3-12", "household_name": "王大山",
                                    "points": 5}]  # fmt: skip
    e2 = points.record(users.grid_worker, code, household_number="3-12", household_name="王大山",
                       rule_id=new.pk, evidence="参加道路清扫", on=date(2026, 11, 9))  # fmt: skip
    assert e2.points == 3
    # the old version cannot take new entries nor be edited again
    r = c.post(_rules_url(territory), {"action": "edit", "rule": rule.pk, "category": "环境卫生",
               "name": "参加义务劳动", "points": "4", "reason": "再改"})  # fmt: skip
    assert "已被新版本取代" in r.content.decode()
    page = client_for(users.community).get(_rules_url(territory)).content.decode()
    assert "分值：5 → 3" in page and "村民代表会议修订" in page
    assert [(x.action) for x in ConfigChange.objects.order_by("id")] == ["create", "edit"]
    assert PointEntry.objects.filter(rule=rule).count() == 1


@pytest.mark.parametrize(
    "data, error",
    [
        ({"category": "", "name": "乱倒垃圾", "points": "-5"}, "请填写类别"),
        ({"category": "环境卫生", "name": "乱倒垃圾", "points": "五"}, "分值应为整数"),
        ({"category": "环境卫生", "name": "乱倒垃圾", "points": "0"}, "非零整数"),
        ({"category": "环境卫生", "name": "乱倒垃圾", "points": "-500"}, "非零整数"),
        ({"category": "环境卫生", "name": "", "points": "-5"}, "请填写事项"),
    ],
)
def test_bad_rules_get_a_chinese_error_and_keep_what_was_typed(users, territory, data, error):
    r = client_for(users.community).post(_rules_url(territory), {"action": "add", **data})
    html = r.content.decode()
    assert r.status_code == 200 and error in html
    assert not PointRule.objects.exists()
    if data["name"]:
        assert f'value="{data["name"]}"' in html


@pytest.mark.parametrize("raw, expected", [("扣3", -3), ("加 5分", 5), ("-10", -10), ("＋2", 2)])
def test_points_are_read_as_the_rules_write_them(users, territory, raw, expected):
    r = client_for(users.community).post(
        _rules_url(territory),
        {"action": "add", "category": "环境卫生", "name": "某事", "points": raw},
    )
    assert r.status_code == 302 and PointRule.objects.get().points == expected


def test_rules_are_edited_only_by_the_village_and_its_town(users, territory):
    code = territory.village1.code
    rule = points.add_rule(users.community, code, category="环境卫生", name="乱倒垃圾", points=-5)
    edit = {"action": "retire", "rule": rule.pk, "reason": "已并入新条款"}
    for u, status in [(users.other_street, 404), (users.grid_worker, 403), (users.resident, 403)]:
        r = client_for(u).post(_rules_url(territory), edit)
        # no edit rights: the page refuses the write (its board may be readable or not)
        assert r.status_code in (status, 404), u
    rule.refresh_from_db()
    assert rule.active and ConfigChange.objects.count() == 1
    # the village's staff retires it; a reason is required
    c = client_for(users.community)
    r = c.post(_rules_url(territory), {**edit, "reason": ""})
    assert "请写明停用原因" in r.content.decode()
    assert c.post(_rules_url(territory), edit).status_code == 302
    rule.refresh_from_db()
    assert not rule.active and ConfigChange.objects.latest("id").action == "retire"
