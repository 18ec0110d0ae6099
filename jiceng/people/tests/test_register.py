"""Writing the register through the API: checks, uniqueness, colours that follow every write,
contact lines, visits and the hook for the case loop."""

import json
from datetime import date

import pytest

from jiceng.lib import idcard
from jiceng.people.models import ColourChange, ContactLink, ContactPerson, Household, Visit
from jiceng.people.signals import visit_needs_case
from jiceng.testing import client_for

JS = "application/json"


def post(c, url, data):
    return c.post(url, json.dumps(data), content_type=JS)


@pytest.mark.django_db
def test_a_resident_with_a_wrong_check_digit_is_refused_with_a_chinese_reason(users, people):
    number = idcard.make("610921", date(1990, 5, 6), 7)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    resp = post(
        client_for(users.grid_worker),
        "/api/v1/people/residents",
        {"household_id": people.h1.id, "name": "新生", "id_number": wrong},
    )
    assert resp.status_code == 400
    assert "校验位" in resp.json()["error"]["message"]


@pytest.mark.django_db
def test_a_bad_phone_is_refused(users, people):
    resp = post(
        client_for(users.grid_worker),
        "/api/v1/people/residents",
        {
            "household_id": people.h1.id,
            "name": "新生",
            "id_number": idcard.make("610921", date(1990, 5, 6), 7),
            "phone": "12345",
        },
    )
    assert resp.status_code == 400 and "电话号码" in resp.json()["error"]["message"]


@pytest.mark.django_db
def test_a_resident_is_registered_once_by_id_number_even_in_another_territory(users, people):
    # the other county's person, registered again by our grid worker: refused, and the
    # refusal does not say where the person lives
    resp = post(
        client_for(users.grid_worker),
        "/api/v1/people/residents",
        {"household_id": people.h1.id, "name": "陈海", "id_number": people.r4.id_number},
    )
    assert resp.status_code == 400
    assert "已登记" in resp.json()["error"]["message"]
    assert "石泉" not in resp.json()["error"]["message"]


@pytest.mark.django_db
def test_search_by_full_id_number_is_exact_and_a_fragment_finds_nothing(users, people):
    c = client_for(users.community)
    assert c.get(f"/api/v1/people/residents?q={people.r1.id_number}").json()["total"] == 1
    assert c.get(f"/api/v1/people/residents?q={people.r1.id_number[:10]}").json()["total"] == 0
    assert c.get("/api/v1/people/residents?q=秀兰").json()["total"] == 1
    found = post(c, "/api/v1/people/residents/search", {"q": people.r1.phone}).json()
    assert [r["name"] for r in found["items"]] == ["张秀兰"]


@pytest.mark.django_db
def test_a_care_tag_changes_the_colour_and_the_history_records_it(users, people):
    c = client_for(users.grid_worker)
    h = people.h1
    assert h.colour == "green"
    bad = post(
        c, f"/api/v1/people/residents/{people.r1.id}/tags", {"type": "low_income", "values": {}}
    )
    assert bad.status_code == 400 and "救助类别" in bad.json()["error"]["message"]
    ok = post(
        c,
        f"/api/v1/people/residents/{people.r1.id}/tags",
        {"type": "low_income", "values": {"category": "农村低保", "monthly_amount": 420}},
    )
    assert ok.status_code == 201
    h.refresh_from_db()
    assert (h.colour, h.colour_reasons) == ("yellow", ["低保家庭"])
    post(
        c,
        f"/api/v1/people/residents/{people.spouse.id}/tags",
        {"type": "disabled", "values": {"type": "肢体", "grade": "一级"}},
    )
    h.refresh_from_db()
    assert h.colour == "red"
    tag_id = ok.json()["id"]
    # ending the tags brings the household back to green, each step in the history
    assert c.post(f"/api/v1/people/tags/{tag_id}/end").status_code == 200
    disabled = people.spouse.tags.get(type__code="disabled")
    c.post(f"/api/v1/people/tags/{disabled.id}/end")
    h.refresh_from_db()
    assert h.colour == "green"
    history = list(ColourChange.objects.filter(household=h).order_by("id"))
    assert [(x.previous, x.colour, x.trigger) for x in history] == [
        ("", "green", "household"),
        ("green", "yellow", "tag"),
        ("yellow", "red", "tag"),
        ("red", "green", "tag"),  # ending the low-income tag alone kept it red
    ]


@pytest.mark.django_db
def test_income_far_below_the_village_average_makes_a_household_red(users, people):
    c = client_for(users.district)
    # h1 and h2 are in the same village; h2 now earns a tenth of h1 per head
    resp = c.patch(
        f"/api/v1/people/households/{people.h2.id}",
        json.dumps({"annual_income": 1500}),
        content_type=JS,
    )
    assert resp.status_code == 200
    people.h2.refresh_from_db()
    assert people.h2.colour == "red"
    assert "家庭人均收入不足本村平均的40%" in people.h2.colour_reasons
    assert people.h2.colour_history.first().trigger == "income"


@pytest.mark.django_db
def test_moving_a_member_recomputes_both_households(users, people):
    c = client_for(users.district)
    c.patch(
        f"/api/v1/people/residents/{people.spouse.id}",
        json.dumps({"household_id": people.h2.id}),
        content_type=JS,
    )
    people.h1.refresh_from_db()
    people.h2.refresh_from_db()
    assert (people.h1.members_count, people.h2.members_count) == (1, 2)


@pytest.mark.django_db
def test_a_visit_is_recorded_and_can_ask_the_case_loop_for_a_case(
    users, people, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, visit, user, **kw):
        seen.append((visit.id, user.username))

    visit_needs_case.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            resp = post(
                client_for(users.grid_worker),
                f"/api/v1/people/households/{people.h1.id}/visits",
                {"found": "屋顶漏雨", "follow_up": "报村委会", "needs_case": True},
            )
    finally:
        visit_needs_case.disconnect(receiver)
    assert resp.status_code == 201
    v = Visit.objects.get()
    assert (v.visitor, v.found, v.grid_code) == (users.grid_worker, "屋顶漏雨", people.h1.grid_code)
    assert seen == [(v.id, "gridworker")]


@pytest.mark.django_db
def test_a_visit_without_what_was_found_is_refused(users, people):
    resp = post(
        client_for(users.grid_worker),
        f"/api/v1/people/households/{people.h1.id}/visits",
        {"found": " "},
    )
    assert resp.status_code == 400 and "发现的情况" in resp.json()["error"]["message"]


@pytest.mark.django_db
def test_the_household_page_shows_its_contact_lines(users, territory, people):
    deputy = ContactPerson.objects.create(
        kind="deputy",
        name="刘代表",
        phone="13800001111",
        grid=territory.grid3a,
        grid_code=territory.grid3a.code,
    )
    ContactLink.objects.create(contact=deputy, household=people.h1)
    body = client_for(users.street).get(f"/people/h/{people.h1.id}/").content.decode()
    assert "刘代表" in body and "人大代表" in body
    api = client_for(users.street).get(f"/api/v1/people/households/{people.h1.id}").json()
    assert api["contacts"] == [
        {"kind": "人大代表", "name": "刘代表", "phone": "138****1111", "title": ""}
    ]


@pytest.mark.django_db
def test_colour_counts_per_child_region(users, territory, people):
    c = client_for(users.street)
    data = c.get(f"/api/v1/people/counts?region={territory.town1.code}").json()
    assert data["totals"]["total"] == 2
    v1 = next(ch for ch in data["children"] if ch["code"] == territory.village1.code)
    assert (v1["green"], v1["total"]) == (2, 2)
    page = c.get(f"/people/overview/{territory.village1.code}/").content.decode()
    assert "HY-A-001" in page and "放心户" in page
    assert Household.objects.count() == 4


@pytest.mark.django_db
def test_a_county_adds_its_own_care_tag_and_a_rule_that_uses_it(users, people):
    from django.core.management import call_command

    from jiceng.people.models import CareTagType, ColourRule

    t = CareTagType(
        code="veteran_in_need",
        name="困难退役军人",
        group="X",
        schema=[
            {
                "name": "service_years",
                "label": "服役年限",
                "type": "int",
                "min": 0,
                "required": True,
            }
        ],
    )
    t.full_clean()
    t.save()
    rule = ColourRule(
        colour="yellow",
        name="有困难退役军人",
        conditions=[{"fact": "tag.veteran_in_need", "op": "ge", "value": 1}],
    )
    rule.full_clean()
    rule.save()
    c = client_for(users.grid_worker)
    assert (
        post(
            c,
            f"/api/v1/people/residents/{people.r1.id}/tags",
            {"type": "veteran_in_need", "values": {"service_years": "x"}},
        ).status_code
        == 400
    )
    assert (
        post(
            c,
            f"/api/v1/people/residents/{people.r1.id}/tags",
            {"type": "veteran_in_need", "values": {"service_years": 12}},
        ).status_code
        == 201
    )
    people.h1.refresh_from_db()
    assert people.h1.colour_reasons == ["有困难退役军人"]
    # a stricter rule set, applied to every household by the command
    ColourRule.objects.filter(name="有困难退役军人").update(colour="red")
    call_command("recompute_colours")
    people.h1.refresh_from_db()
    assert people.h1.colour == "red"


@pytest.mark.django_db
def test_a_rule_or_schema_written_wrongly_is_refused_before_it_is_saved():
    from django.core.exceptions import ValidationError

    from jiceng.people.models import CareTagType, ColourRule

    with pytest.raises(ValidationError, match="未知的事实项"):
        ColourRule(
            colour="red", name="x", conditions=[{"fact": "wealth", "op": "lt", "value": 1}]
        ).full_clean()
    with pytest.raises(ValidationError, match="choices"):
        CareTagType(
            code="x", name="x", schema=[{"name": "a", "label": "A", "type": "choice"}]
        ).full_clean()


@pytest.mark.django_db
def test_organisations_are_registered_with_a_checked_credit_code_in_a_grid(
    users, territory, people
):
    from jiceng.lib import creditcode

    c = client_for(users.community)
    good = creditcode.make("91610921MA7000001")
    data = {
        "name": "汉阴县富硒茶业有限公司",
        "kind": "company",
        "grid_code": territory.grid3a.code,
        "credit_code": good,
    }
    assert (
        post(
            c,
            "/api/v1/people/organisations",
            {**data, "credit_code": good[:17] + ("0" if good[17] != "0" else "1")},
        ).status_code
        == 400
    )
    assert post(c, "/api/v1/people/organisations", data).status_code == 201
    assert (
        post(c, "/api/v1/people/organisations", data).json()["error"]["message"]
        == "该统一社会信用代码已登记"
    )
    assert client_for(users.street).get("/api/v1/people/organisations").json()["total"] == 1
    assert client_for(users.other_street).get("/api/v1/people/organisations").json()["total"] == 0
    other = post(
        client_for(users.other_street), "/api/v1/people/organisations", {**data, "credit_code": ""}
    )
    assert other.status_code == 403  # a dispatcher does not edit the register
    counts = (
        client_for(users.street)
        .get(f"/api/v1/people/counts?region={territory.village1.code}")
        .json()
    )
    assert counts["organisations"]["company"] == 1


@pytest.mark.django_db
def test_lists_make_a_fixed_number_of_queries_whatever_their_length(
    users, territory, django_assert_max_num_queries
):
    from jiceng.people import testdata
    from jiceng.people.importer import run

    run(users.district, "r.csv", testdata.as_csv(testdata.rows(120, [territory.grid3a.code])))
    c = client_for(users.community)
    c.get("/api/v1/people/households")  # warm the session and user
    with django_assert_max_num_queries(8):
        assert len(c.get("/api/v1/people/households?size=200").json()["items"]) > 30
    with django_assert_max_num_queries(10):
        assert c.get("/api/v1/people/residents?q=王&size=200").status_code == 200
    with django_assert_max_num_queries(18):
        assert c.get(f"/people/overview/{territory.village1.code}/").status_code == 200


@pytest.mark.django_db
def test_a_member_added_on_the_household_page_is_checked_and_recolours_the_household(users, people):
    c = client_for(users.grid_worker)
    bad = c.post(
        f"/people/h/{people.h1.id}/members/",
        {"name": "王小明", "id_number": "123", "relation": "grandchild", "kind": "registered"},
        follow=True,
    )
    assert "添加成员失败" in bad.content.decode() and "18位" in bad.content.decode()
    number = idcard.make("610921", date(2015, 6, 1), 3)
    ok = c.post(
        f"/people/h/{people.h1.id}/members/",
        {
            "name": "王小明",
            "id_number": number,
            "relation": "grandchild",
            "kind": "registered",
            "id_type": "id_card",
        },
        follow=True,
    )
    assert "已添加成员 王小明" in ok.content.decode()
    people.h1.refresh_from_db()
    assert people.h1.members_count == 3


@pytest.mark.django_db
def test_the_phone_list_puts_red_households_and_overdue_visits_first(users, territory, people):
    from jiceng.people import services

    # a second household in the grid worker's grid, made red by a 特困 member
    h = services.create_household(
        users.district,
        {"number": "HY-A-999", "grid_code": territory.grid3a.code, "address": "城关社区1组1号"},
    )
    r = services.create_resident(
        users.district,
        {
            "household_id": h.id,
            "name": "孙大爷",
            "id_number": idcard.make("610921", date(1940, 1, 1), 5),
            "relation": "head",
        },
    )
    services.add_tag(users.district, r, "low_income", {"category": "特困供养"})
    body = client_for(users.grid_worker).get("/people/m/").content.decode()
    assert body.index("孙大爷家") < body.index("张秀兰家")
    assert "未走访" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "searched"),
    [
        ("+86 139 1234 0077", "13912340077"),
        ("139-1234-0077", "+86 13912340077"),
        ("0915 5212345", "+86 915 5212345"),
        ("(0915)5212345", "0915-5212345"),
    ],
)
def test_a_phone_written_any_way_is_stored_and_found_as_one(users, people, stored, searched):
    c = client_for(users.district)
    r = c.patch(
        f"/api/v1/people/residents/{people.r1.id}",
        {"phone": stored},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    found = c.post(
        "/api/v1/people/residents/search", {"q": searched}, content_type="application/json"
    ).json()
    assert [x["id"] for x in found["items"]] == [people.r1.id]
