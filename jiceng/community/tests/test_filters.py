"""A filter value outside its choices on community's lists is named back with the choices —
on the page a warning and the list without that condition, on the API a 400 invalid_filter —
never a silent empty or full list (jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.community import board, inbox, mediation
from jiceng.community.mediation import PartyIn
from jiceng.testing import client_for, invalid_filter

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(users, territory, people):
    code = territory.village1.code
    d = mediation.register(
        users.community,
        code,
        kind="neighbour",
        place="三组李家院坝",
        summary="两家因排水沟改道发生争执",
        parties=[PartyIn("applicant", "李建国"), PartyIn("respondent", "王德福")],
    )
    m = inbox.write(people.resident, code, "桥栏杆松了", True)
    board.publish(users.community, code, kind="notice", title="停水通知", body="周六停水")
    return {"dispute": d.number, "message": m.body, "board": "停水通知", "code": code}


def _said(r) -> str:
    return " ".join(str(m) for m in r.context["messages"])


# (page, query, what the message names, what the list still shows)
PAGES = [
    ("/community/disputes/", {"status": "bogus"}, ["“状态”", "“bogus”", "未办结（open）", "已登记（registered）"], "dispute"),
    ("/community/disputes/", {"level": "city"}, ["“层级”", "“city”", "镇（街道）调委会（town）"], "dispute"),
    ("/community/disputes/", {"status": "x", "level": "y"}, ["“x”", "“y”"], "dispute"),
    ("/community/messages/", {"state": "closed"}, ["“状态”", "“closed”", "已逾期（overdue）", "全部（all）"], "message"),
    ("/community/v/{code}/", {"kind": "news"}, ["“类型”", "“news”", "村情通知（notice）"], "board"),
]  # fmt: skip


@pytest.mark.parametrize("path,query,named,shown", PAGES)
def test_a_page_names_a_bad_filter_value_and_the_choices_and_lists_without_it(
    users, rows, path, query, named, shown
):
    r = client_for(users.community).get(path.format(code=rows["code"]), query)
    assert r.status_code == 200
    said = _said(r)
    for text in named:
        assert text in said, (text, said)
    assert "下面的列表未按此条件筛选" in said
    assert rows[shown] in r.content.decode()


@pytest.mark.parametrize(
    "path,query",
    [
        ("/community/disputes/", {"status": "open", "level": "village"}),
        ("/community/disputes/", {"status": "registered", "level": ""}),
        ("/community/messages/", {"state": "answered"}),
        ("/community/messages/", {"state": "all"}),
        ("/community/v/{code}/", {"kind": "finance"}),
        ("/community/v/{code}/", {"kind": ""}),
    ],
)
def test_a_valid_filter_value_says_nothing(users, rows, path, query):
    r = client_for(users.community).get(path.format(code=rows["code"]), query)
    assert r.status_code == 200 and not _said(r)


def test_in_english_the_name_and_choices_are_english(users, rows):
    c = client_for(users.community)
    c.cookies["django_language"] = "en"
    said = _said(c.get("/community/disputes/", {"status": "bogus"}))
    assert "Status" in said and "“bogus”" in said and "registered" in said
    assert "状态" not in said


# (API path, query, the parameters named in error.details)
APIS = [
    ("/api/v1/community/disputes", "status=bogus", ["status"]),
    ("/api/v1/community/disputes", "status=open", ["status"]),  # the page's "open" only
    ("/api/v1/community/disputes", "level=city", ["level"]),
    ("/api/v1/community/disputes", "status=x&level=y", ["status", "level"]),
    ("/api/v1/community/messages", "state=closed", ["state"]),
    ("/api/v1/community/messages", "state=", []),
    ("/api/v1/community/villages/{code}/board", "kind=news", ["kind"]),
    ("/api/v1/community/disputes", "status=registered&level=village", []),
    ("/api/v1/community/messages", "state=overdue", []),
    ("/api/v1/community/villages/{code}/board", "kind=notice", []),
]


@pytest.mark.parametrize("path,query,params", APIS)
def test_the_api_answers_a_bad_filter_with_a_structured_400(users, rows, path, query, params):
    r = client_for(users.community).get(f"{path.format(code=rows['code'])}?{query}")
    if not params:
        assert r.status_code == 200, r.content
        return
    err = invalid_filter(r, params)
    for part in query.split("&"):
        assert f"“{part.split('=', 1)[1]}”" in err["message"]


def test_the_openapi_document_declares_the_400_and_the_choices():
    doc = Client().get("/api/v1/openapi.json").json()["paths"]
    for path, names, value in [
        ("/api/v1/community/disputes", ["status", "level"], "`mediating`"),
        ("/api/v1/community/messages", ["state"], "`overdue`"),
        ("/api/v1/community/villages/{code}/board", ["kind"], "`finance`"),
    ]:
        op = doc[path]["get"]
        assert "invalid_filter" in op["responses"]["400"]["description"]
        assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        params = {p["name"]: p.get("description", "") for p in op["parameters"]}
        assert value in " ".join(params[n] for n in names)


@pytest.mark.parametrize(
    "path", ["/api/v1/community/disputes?status=bogus", "/api/v1/community/messages?state=x"]
)
def test_a_bad_filter_does_not_come_before_the_permission(users, path):
    assert client_for(users.resident).get(path).status_code == 403
