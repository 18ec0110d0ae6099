"""A filter value outside its choices in the register is named back with the choices — on
the page a warning and the list without that condition, on the API a 400 invalid_filter —
never a silent list (jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.testing import client_for, invalid_filter

pytestmark = pytest.mark.django_db


def _said(r) -> str:
    return " ".join(str(m) for m in r.context["messages"])


@pytest.fixture
def viewed(users, people):
    """One page view of 张秀兰's household in the access log."""
    assert client_for(users.grid_worker).get(f"/people/h/{people.h1.id}/").status_code == 200


# (who, page, query, what the message names, what the list still shows)
PAGES = [
    ("district", "/people/overview/{grid}/", {"colour": "blue"}, ["“颜色”", "“blue”", "连心户（red）", "放心户（green）"], "HY-A-001"),
    ("auditor", "/people/access-log/", {"channel": "fax"}, ["“渠道”", "“fax”", "页面（page）", "导出（export）"], "HY-A-001"),
]  # fmt: skip


@pytest.mark.parametrize("who,path,query,named,shown", PAGES)
def test_a_page_names_a_bad_filter_value_and_the_choices_and_lists_without_it(
    users, territory, people, viewed, who, path, query, named, shown
):
    r = client_for(getattr(users, who)).get(path.format(grid=territory.grid3a.code), query)
    assert r.status_code == 200
    said = _said(r)
    for text in named:
        assert text in said, (text, said)
    assert "下面的列表未按此条件筛选" in said
    assert shown in r.content.decode()


@pytest.mark.parametrize(
    "who,path,query",
    [
        ("district", "/people/overview/{grid}/", {"colour": "red"}),
        ("district", "/people/overview/{grid}/", {"colour": ""}),
        ("auditor", "/people/access-log/", {"channel": "page"}),
        ("auditor", "/people/access-log/", {"channel": "export"}),
    ],
)
def test_a_valid_filter_value_says_nothing(users, territory, people, who, path, query):
    r = client_for(getattr(users, who)).get(path.format(grid=territory.grid3a.code), query)
    assert r.status_code == 200 and not _said(r)


def test_in_english_the_name_and_choices_are_english(users, territory, people):
    c = client_for(users.auditor)
    c.cookies["django_language"] = "en"
    said = _said(c.get("/people/access-log/", {"channel": "fax"}))
    assert "Channel" in said and "“fax”" in said and "API" in said and "渠道" not in said


# (API path, query, the parameters named in error.details; [] a 200)
APIS = [
    ("/api/v1/people/households", "colour=blue", ["colour"]),
    ("/api/v1/people/households", "colour=RED", ["colour"]),
    ("/api/v1/people/organisations", "kind=school", ["kind"]),
    ("/api/v1/people/households", "colour=yellow", []),
    ("/api/v1/people/households", "colour=", []),
    ("/api/v1/people/organisations", "kind=social", []),
]


@pytest.mark.parametrize("path,query,params", APIS)
def test_the_api_answers_a_bad_filter_with_a_structured_400(users, people, path, query, params):
    r = client_for(users.district).get(f"{path}?{query}")
    if not params:
        assert r.status_code == 200, r.content
        return
    err = invalid_filter(r, params)
    assert f"“{query.split('=', 1)[1]}”" in err["message"]


def test_a_bad_filter_does_not_come_before_the_permission(users):
    r = client_for(users.resident).get("/api/v1/people/households?colour=blue")
    assert r.status_code == 403


def test_the_openapi_document_declares_the_400_and_the_choices():
    doc = Client().get("/api/v1/openapi.json").json()["paths"]
    for path, name, value in [
        ("/api/v1/people/households", "colour", "`yellow`"),
        ("/api/v1/people/organisations", "kind", "`social`"),
    ]:
        op = doc[path]["get"]
        assert "invalid_filter" in op["responses"]["400"]["description"]
        params = {p["name"]: p.get("description", "") for p in op["parameters"]}
        assert value in params[name]


@pytest.mark.parametrize("level", ["index", "county", "town"])
def test_an_unknown_colour_is_named_above_the_village_too(users, territory, people, level):
    """The trial's /people/overview/?colour=blue: the redirect to the user's region kept no
    query string, and above a village (no household list) the colour was never read."""
    c = client_for(users.district)
    path = {
        "index": "/people/overview/",
        "county": f"/people/overview/{territory.county.code}/",
        "town": f"/people/overview/{territory.town1.code}/",
    }[level]
    r = c.get(path, {"colour": "blue"}, follow=True)
    assert r.status_code == 200
    said = _said(r)
    assert "“blue”" in said and "下面的列表未按此条件筛选" in said, said
