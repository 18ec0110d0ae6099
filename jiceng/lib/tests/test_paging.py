"""A paging parameter that is not a page of the list — `?page=abc`, `0`, `-1`,
`99999999999999999999`, `size=0`, `limit=201` — is a structured 400 `invalid_page` in every
list API, naming the parameter, the value and the bound, and declared on the operation in
the OpenAPI document (jiceng/lib/paging.py, decision 0106). The operations are found by
walking the document, so a new list API is checked without being listed here."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.api import api
from jiceng.lib import paging
from jiceng.testing import client_for

HUGE = "99999999999999999999"


def _paged_operations() -> list[tuple[str, str, dict[str, str]]]:
    """(path, paging parameter, the required query parameters filled) of every GET."""
    out = []
    for path, ops in api.get_openapi_schema()["paths"].items():
        op = ops.get("get")
        if not op:
            continue
        params = op.get("parameters", [])
        required = {p["name"]: "x" for p in params if p.get("required") and p["in"] == "query"}
        for p in params:
            if p["in"] == "query" and p["name"] in paging.PARAMS:
                out.append((path, p["name"], required))
    return out


PAGED = _paged_operations()
# (value, the kind of the details entry, a part of the message)
BAD = [
    ("abc", "not_an_integer", "须为整数"),
    ("1.5", "not_an_integer", "“1.5”不是"),
    ("-1", "too_small", "最小为"),
    (HUGE, "too_large", "最大为"),
]


def test_the_list_apis_with_paging_are_found():
    found = {(path, name) for path, name, _ in PAGED}
    assert ("/api/v1/territory/grids", "page") in found
    assert ("/api/v1/cases/", "offset") in found
    assert ("/api/v1/servicehall/applications", "limit") in found
    assert len(found) >= 20


@pytest.mark.django_db
@pytest.mark.parametrize("path,name,required", PAGED)
@pytest.mark.parametrize("value,kind,said", BAD)
def test_a_bad_paging_value_is_a_structured_400_naming_it(
    users, path, name, required, value, kind, said
):
    r = client_for(users.district).get(path, {**required, name: value})
    assert r.status_code == 400, (path, name, value, r.content)
    err = r.json()["error"]
    assert err["code"] == "invalid_page"
    assert said in err["message"] and f"“{value[:40]}”" in err["message"], err["message"]
    assert err["details"] == [{"loc": ["query", name], "msg": err["message"], "type": kind}]


@pytest.mark.django_db
@pytest.mark.parametrize("path,name,required", PAGED)
def test_the_400_is_declared_on_each_paged_operation(path, name, required):
    op = Client().get("/api/v1/openapi.json").json()["paths"][path]["get"]
    answer = op["responses"]["400"]
    assert "invalid_page" in answer["description"] and f"`{name}`" in answer["description"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


@pytest.mark.django_db
def test_two_bad_paging_values_are_two_details(users):
    r = client_for(users.district).get("/api/v1/territory/grids", {"page": "0", "page_size": "501"})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "invalid_page"
    assert [(d["loc"], d["type"]) for d in err["details"]] == [
        (["query", "page"], "too_small"),
        (["query", "page_size"], "too_large"),
    ]
    assert "最小为 1" in err["message"] and "最大为 500" in err["message"]


@pytest.mark.django_db
def test_a_bad_paging_value_with_another_bad_parameter_stays_a_422(users):
    """Only paging errors are invalid_page; with another parameter wrong too, the framework's
    validation_error lists both."""
    r = client_for(users.district).get("/api/v1/territory/grids", {"page": "0", "level": "x"})
    assert r.status_code == 422
    locs = [d["loc"] for d in r.json()["error"]["details"]]
    assert ["query", "page"] in locs and ["query", "level"] in locs


@pytest.mark.django_db
def test_a_paging_value_in_a_search_body_is_a_400_too(users):
    r = client_for(users.district).post(
        "/api/v1/people/residents/search", {"q": "张", "page": 0}, content_type="application/json"
    )
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "invalid_page" and "“0”太小" in err["message"]
    assert err["details"][0]["loc"][-1] == "page"
    op = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/people/residents/search"]
    assert "invalid_page" in op["post"]["responses"]["400"]["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("path,name,required", PAGED)
def test_a_good_paging_value_still_answers(users, path, name, required):
    r = client_for(users.district).get(path, {**required, name: "1"})
    assert r.status_code in (200, 403), (path, r.content)  # 403: a list this role may not see


@pytest.mark.parametrize(
    "raw,number,bad",
    [
        ("", 1, False),
        (None, 1, False),
        ("1", 1, False),
        (" 2 ", 2, False),
        ("20000", 20000, False),
        ("20001", 1, True),
        ("0", 1, True),
        ("-3", 1, True),
        ("abc", 1, True),
        ("1e3", 1, True),
        ("٣", 1, True),
        ("+2", 1, True),
        (HUGE, 1, True),
    ],
)
def test_page_number_rules(raw, number, bad):
    n, problem = paging.page_number(raw, 20000)
    assert n == number and bool(problem) == bad
