"""A filter value outside its choices in the service hall is named back with the choices —
the figures page's grouping a warning (and the items'), the application list API a 400
invalid_filter — never a silent list (jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.servicehall import applications as apps
from jiceng.servicehall.tests.test_applications import MON, form
from jiceng.testing import client_for, invalid_filter

pytestmark = pytest.mark.django_db
API = "/api/v1/servicehall/applications"


@pytest.fixture
def app(hall):
    return apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)


def _said(r) -> str:
    return " ".join(str(m) for m in r.context["messages"])


@pytest.mark.parametrize(
    "query,named",
    [
        ({"by": "street"}, ["“分组”", "“street”", "按实施部门（unit）", "按受理窗口（window）"]),
        ({"by": "x", "since": "2026-11-01"}, ["“x”", "按事项（item）"]),
    ],
)
def test_the_figures_page_names_an_unknown_grouping_and_the_choices(hall, query, named):
    r = client_for(hall.town_clerk).get("/servicehall/figures/", query)
    assert r.status_code == 200 and r.context["by"] == "item"
    said = _said(r)
    for text in named:
        assert text in said, (text, said)
    assert "下面的列表未按此条件筛选" in said


@pytest.mark.parametrize("by", ["item", "unit", "window", ""])
def test_a_known_grouping_says_nothing(hall, by):
    r = client_for(hall.town_clerk).get("/servicehall/figures/", {"by": by})
    assert r.status_code == 200 and not _said(r) and r.context["by"] == (by or "item")


# (query, the parameters named in error.details; none: a 200 listing the application or not)
API_CASES = [
    ("status=bogus", ["status"], None),
    ("status=ACCEPTED", ["status"], None),  # values are lower case
    ("card=green", ["card"], None),
    ("card=yellow,red", ["card"], None),
    ("status=x&card=y", ["status", "card"], None),
    ("status=accepted", [], True),
    ("status=withdrawn", [], False),
    ("card=red", [], None),  # red or not depends on today: only a 200
    ("status=&card=", [], True),
]


@pytest.mark.parametrize("query,params,found", API_CASES)
def test_the_application_list_answers_a_bad_filter_with_a_structured_400(
    hall, app, query, params, found
):
    r = client_for(hall.village_clerk).get(f"{API}?{query}")
    if not params:
        assert r.status_code == 200, r.content
        if found is not None:
            assert (app.number in {a["number"] for a in r.json()}) == found
        return
    err = invalid_filter(r, params)
    for part in query.split("&"):
        assert f"“{part.split('=', 1)[1]}”" in err["message"]


def test_in_english_the_message_is_english(hall, app):
    c = client_for(hall.village_clerk)
    c.cookies["django_language"] = "en"
    r = c.get(f"{API}?card=green")
    err = r.json()["error"]
    assert r.status_code == 400
    assert (
        "Card" in err["message"] and "Red card" in err["message"] and "亮牌" not in err["message"]
    )


def test_the_openapi_document_declares_the_400_and_the_choices():
    op = Client().get("/api/v1/openapi.json").json()["paths"][API]["get"]
    assert "invalid_filter" in op["responses"]["400"]["description"]
    params = {p["name"]: p.get("description", "") for p in op["parameters"]}
    assert "`in_review`" in params["status"] and "`red`" in params["card"]


def test_a_bad_filter_does_not_come_before_the_permission(hall):
    assert client_for(hall.users.resident).get(f"{API}?card=green").status_code == 403
