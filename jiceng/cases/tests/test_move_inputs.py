"""Typed move inputs: every move's input is parsed at the edge (API, page, keyword call)
before any rule runs, so a bad input is a 400 with a Chinese message — never a 500 — and
the case and its history are untouched. Also the list endpoint's integer bounds."""

from __future__ import annotations

import json

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case, CaseEvent, Status
from jiceng.cases.moves import RULES
from jiceng.cases.workflow import MOVES
from jiceng.testing import client_for


def _case(users, cats, in_grid, **kw) -> Case:
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，另有垃圾堆放",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
        **kw,
    )


def _post(user, number, move, body, raw=False):
    data = body if raw else json.dumps(body)
    return client_for(user).post(
        f"/api/v1/cases/{number}/moves/{move}", data=data, content_type="application/json"
    )


def test_every_move_the_table_offers_declares_its_input():
    offered = {n for n, m in MOVES.items() if m.offered}
    assert offered == set(RULES)
    for name in offered:
        assert "reason" in RULES[name].input.model_fields, name


# (move, body, words the Chinese message must contain) — each a kind of bad input
BAD_INPUTS = [
    ("request_pause", {"reason": "等材料", "days": "三天"}, "应为整数"),
    ("request_pause", {"reason": "等材料", "days": 1.5}, "应为整数"),
    ("request_pause", {"reason": "等材料", "days": 10**30}, "缓办天数"),
    ("whistle", {"reason": "多部门", "units": "roads"}, "应为列表"),
    ("whistle", {"reason": "多部门", "units": ["x"], "limit_hours": -3}, "报到时限"),
    ("whistle", {"reason": "多部门", "units": ["x"], "limit_hours": "soon"}, "应为数字"),
    ("rate_report_in", {"unit": "x", "rating": "五星"}, "应为整数"),
    ("return_visit", {"satisfaction": "satisfied", "resolved": "maybe"}, "是否解决"),
    ("return_visit", {"satisfaction": "satisfied", "resolved": True, "channel": "fax"}, "回访方式"),
    ("split", {"reason": "两件事", "parts": "路面；垃圾"}, "应为列表"),
    ("split", {"reason": "两件事", "parts": [{"description": ["x"]}]}, "应为文字"),
    ("handle", {"note": {"a": 1}}, "处置情况"),
    ("dispatch", {"helpers": [{"code": "x"}]}, "协办单位"),
    ("register", {"reason": "x" * 3000}, "过长"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "move,body,words", BAD_INPUTS, ids=[f"{m}-{i}" for i, (m, *_) in enumerate(BAD_INPUTS)]
)
def test_a_bad_move_input_is_a_400_in_chinese_before_any_rule(
    move, body, words, users, cats, in_grid
):
    case = _case(users, cats, in_grid)
    before = (CaseEvent.objects.filter(case=case).count(), case.version)
    r = _post(users.street, case.number, move, body)
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and words in err["message"], err
    case.refresh_from_db()
    assert (CaseEvent.objects.filter(case=case).count(), case.version) == before


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[1, 2]", '"remind"', "42", "{not json", "null"])
def test_a_move_body_that_is_not_a_json_object_is_a_400(body, users, cats, in_grid):
    case = _case(users, cats, in_grid)
    case = services.transition(case, "dispatch", user=users.street)
    r = _post(users.street, case.number, "remind", body, raw=True)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert not CaseEvent.objects.filter(case=case, move="remind").exists()


@pytest.mark.django_db
def test_a_split_whose_parts_name_categories_by_code_makes_parts_of_those_categories(
    users, cats, in_grid
):
    case = _case(users, cats, in_grid)
    body = {
        "reason": "两件事",
        "parts": [
            {"description": "解放路路面破损需要修补", "category": "1001"},
            {"description": "解放路口垃圾堆放需清运", "category": "1002"},
        ],
    }
    r = _post(users.street, case.number, "split", body)
    assert r.status_code == 200, r.content
    parts = Case.objects.filter(parent=case).order_by("number")
    assert [p.category.code for p in parts] == ["1001", "1002"]
    assert all(p.status == Status.REGISTERED for p in parts)
    assert set(CaseEvent.objects.filter(case__in=parts).values_list("move", flat=True)) == {
        "split_from"
    }


@pytest.mark.django_db
def test_a_split_naming_an_unknown_category_is_refused_whole(users, cats, in_grid):
    case = _case(users, cats, in_grid)
    body = {
        "reason": "两件事",
        "parts": [
            {"description": "解放路路面破损需要修补", "category": "0102"},
            {"description": "解放路口垃圾堆放需清运", "category": "0103"},
        ],
    }
    r = _post(users.street, case.number, "split", body)
    assert r.status_code == 400 and "0102" in r.json()["error"]["message"]
    assert not Case.objects.filter(parent=case).exists()
    case.refresh_from_db()
    assert case.status == Status.REGISTERED


@pytest.mark.django_db
def test_the_actor_cannot_be_claimed_through_the_api(users, cats, in_grid):
    """`actor` is an argument of internal callers, not an input: sent in a body it is
    ignored, and the caller's own relation to the case decides."""
    case = _case(users, cats, in_grid)
    r = _post(users.department, case.number, "dispatch", {"actor": "system"})
    assert r.status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == Status.REGISTERED


@pytest.mark.django_db
def test_a_page_form_with_bad_input_shows_a_chinese_message_and_changes_nothing(
    users, cats, in_grid
):
    case = _case(users, cats, in_grid)
    case = services.transition(case, "dispatch", user=users.street)
    case = services.transition(case, "accept", user=users.department)
    c = client_for(users.department)
    r = c.post(
        f"/cases/{case.number}/move/request_pause/",
        {"reason": "等材料", "days": "十"},
        follow=True,
    )
    assert r.status_code == 200 and "应为整数" in r.content.decode()
    case.refresh_from_db()
    assert case.status == Status.HANDLING


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "offset=-1",
        "offset=100000000000000000000",
        "limit=0",
        "limit=100000000000000000000",
        "limit=-5",
        "offset=abc",
    ],
)
def test_out_of_range_list_parameters_are_a_400_not_a_500(query, users, cats, in_grid):
    # a paging value outside its bounds names itself: 400 invalid_page (decision 0106)
    _case(users, cats, in_grid)
    r = client_for(users.street).get(f"/api/v1/cases/?{query}")
    assert r.status_code == 400, (query, r.status_code)
    assert r.json()["error"]["code"] == "invalid_page"


@pytest.mark.django_db
def test_the_list_still_pages_within_its_bounds(users, cats, in_grid):
    for _ in range(3):
        _case(users, cats, in_grid)
    c = client_for(users.street)
    assert len(c.get("/api/v1/cases/?limit=2").json()) == 2
    assert len(c.get("/api/v1/cases/?limit=2&offset=2").json()) == 1
    assert c.get("/api/v1/cases/?offset=1000000").json() == []
