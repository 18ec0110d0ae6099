"""A filter value outside its choices is named back with the choices — on the queue page a
message and the list without that condition, on the list API a 400 invalid_filter — never
a silent "共 0 件" (found by the new-user trial; cases/filters.py, decision 0100)."""

from __future__ import annotations

import html

import pytest

from jiceng.cases import services
from jiceng.testing import client_for, invalid_filter


@pytest.fixture
def case(users, cats):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="城关社区解放路路面塌陷",
        user=users.district,
        lon=108.405,
        lat=32.805,
    )


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# (who, query, what the message must name: the parameter's name, the bad value, one choice)
PAGE_CASES = [
    ("district", {"status": "bogus"}, ["“状态”", "“bogus”", "已结案（closed）"]),
    ("district", {"card": "green"}, ["“亮牌”", "“green”", "黄牌（yellow）", "红牌（red）"]),
    ("district", {"channel": "fax"}, ["“渠道”", "“fax”", "12345热线（hotline）"]),
    ("district", {"category": "99"}, ["“分类”", "“99”", "开头的编号", "城乡建设（10）"]),
    ("district", {"tab": "nope"}, ["“标签页”", "“nope”", "待我处理（todo）", "全部（all）"]),
    ("resident", {"tab": "todo"}, ["“标签页”", "“todo”", "办理中（open）"]),
    ("district", {"tab": "all", "status": "closd", "card": "blue"}, ["“closd”", "“blue”"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("who,query,named", PAGE_CASES)
def test_the_queue_names_a_bad_filter_value_and_the_choices_and_lists_without_it(
    users, case, who, query, named
):
    r = client_for(getattr(users, who)).get("/cases/", query)
    assert r.status_code == 200
    said = _messages(r)
    for text in named:
        assert text in said, (text, said)
    assert "下面的列表未按此条件筛选" in said
    if who == "district":  # the condition was dropped: the case is listed, not "共 0 件"
        assert case.number in r.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"tab": "all", "status": "registered"},
        {"tab": "all", "card": "red"},
        {"tab": "all", "channel": "hotline"},
        {"tab": "all", "category": "10"},
        {"tab": "all", "category": "1001"},
        {"tab": "late"},
        {"tab": "all", "status": "", "card": "", "channel": "", "category": ""},
    ],
)
def test_a_valid_filter_value_says_nothing_and_filters(users, case, query):
    r = client_for(users.district).get("/cases/", query)
    assert r.status_code == 200 and not _messages(r)


@pytest.mark.django_db
def test_the_bad_value_is_shown_as_text_and_cut(users, case):
    evil = "<script>alert(1)</script>" + "x" * 100
    r = client_for(users.district).get("/cases/", {"status": evil})
    body = r.content.decode()
    assert "<script>alert(1)" not in body
    assert html.escape("“<script>alert(1)</script>" + "x" * 15 + "”", quote=False) in body


@pytest.mark.django_db
def test_in_english_the_names_and_choices_are_english(users, case):
    c = client_for(users.district)
    c.cookies["django_language"] = "en"
    said = _messages(c.get("/cases/", {"status": "bogus"}))
    assert "Status" in said and "“bogus”" in said and "closed" in said
    assert "状态" not in said and "已结案" not in said


# (query, the parameters named in error.details)
API_CASES = [
    ("status=bogus", ["status"]),
    ("status=closed,bogus", ["status"]),
    ("status=closed,,handling,nope", ["status"]),
    ("card=green", ["card"]),
    ("card=yellow,red", ["card"]),  # one card, not a list
    ("status=x&card=y", ["status", "card"]),
    ("status=bogus&cursor=abc", ["status"]),  # the filter is checked before the cursor
]


@pytest.mark.django_db
@pytest.mark.parametrize("query,params", API_CASES)
def test_the_list_api_answers_a_bad_filter_with_a_structured_400(users, case, query, params):
    r = client_for(users.district).get(f"/api/v1/cases/?{query}")
    err = invalid_filter(r, params)
    values = [part.split("=", 1)[1] for part in query.split("&")]
    values += [v for value in values for v in value.split(",")]  # status takes a list
    named = [v for v in values if f"“{v}”" in err["message"]]
    assert named, err["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query,found",
    [
        ("status=registered", True),
        ("status=closed,registered", True),
        ("status=registered,", True),
        ("status=closed", False),
        ("card=red", False),
        ("status=", True),
    ],
)
def test_valid_filters_of_the_list_api_answer_200(users, case, query, found):
    r = client_for(users.district).get(f"/api/v1/cases/?{query}")
    assert r.status_code == 200, r.content
    assert (case.number in {c["number"] for c in r.json()}) == found


@pytest.mark.django_db
def test_the_openapi_document_declares_the_400_and_the_choices(users):
    from django.test import Client

    op = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/cases/"]["get"]
    answer = op["responses"]["400"]
    assert "invalid_filter" in answer["description"] and "invalid_cursor" in answer["description"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    params = {p["name"]: p.get("description", "") for p in op["parameters"]}
    assert "`closed`" in params["status"] and "`pause_requested`" in params["status"]
    assert "`yellow`" in params["card"] and "`red`" in params["card"]
