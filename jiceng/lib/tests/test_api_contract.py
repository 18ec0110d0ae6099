"""The API's contract, walked from its OpenAPI document (issue 9 items 6 and 13): every
integer query parameter is bounded, every operation declares its error answers with their
schema, a huge number is a 4xx, and a JSON array where an object is expected is a 422."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiceng.api import ERROR_ANSWERS, api
from jiceng.testing import client_for

HUGE = "100000000000000000000"
# The cases list's limit/offset are the case-engine's to bound (issue 9 item 6, engineer
# "engine"); remove this line when its branch lands.
NOT_YET: set[tuple[str, str, str]] = set()  # every integer parameter is bounded now


def _schema() -> dict:
    return api.get_openapi_schema()


def _operations():
    for path, ops in _schema()["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def _is_int(schema: dict) -> list[dict]:
    alts = schema.get("anyOf") or [schema]
    return [a for a in alts if a.get("type") == "integer"]


def test_every_integer_query_or_path_parameter_is_bounded():
    unbounded = []
    for path, method, op in _operations():
        for p in op.get("parameters", []):
            if p["in"] not in ("query", "path") or (method, path, p["name"]) in NOT_YET:
                continue
            for alt in _is_int(p.get("schema", {})):
                if "maximum" not in alt or "minimum" not in alt:
                    unbounded.append(f"{method.upper()} {path} {p['name']}")
    assert not unbounded, unbounded


def test_every_operation_declares_its_error_answers_with_their_schema():
    schema = _schema()
    assert "ErrorOut" in schema["components"]["schemas"]
    missing = []
    for path, method, op in _operations():
        responses = {str(k): v for k, v in op["responses"].items()}
        for status in ERROR_ANSWERS:
            if status == "401" and not op.get("security"):
                continue
            body = responses.get(status, {}).get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") != "#/components/schemas/ErrorOut":
                missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing[:20]


def test_the_served_document_is_the_post_processed_one(db):
    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/people/residents/search"]["post"]
    assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/territory/grids?page={HUGE}",
        f"/api/v1/territory/grids?page_size={HUGE}",
        "/api/v1/territory/grids?page=-1",
        f"/api/v1/territory/grids?level={HUGE}",
        f"/api/v1/people/households?page={HUGE}",
        f"/api/v1/people/households/{HUGE}",
        f"/api/v1/people/residents?q=x&size={HUGE}",
        f"/api/v1/people/residents/{HUGE}",
        "/api/v1/people/residents/0",
        f"/api/v1/people/access-log?page={HUGE}",
    ],
)
def test_out_of_range_integers_are_refused_not_crashed(users, url):
    r = client_for(users.district).get(url)
    assert r.status_code in (400, 404, 422), (url, r.status_code)
    assert r.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "3", "null"])
def test_a_json_body_that_is_not_an_object_is_a_422(users, territory, body):
    c = client_for(users.district)
    for url in (
        "/api/v1/people/residents/search",
        "/api/v1/people/households",
        "/api/v1/territory/locate",
    ):
        r = c.post(url, body, content_type="application/json")
        assert r.status_code == 422, (url, body, r.status_code, r.content[:200])
        assert r.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_an_object_body_still_works(users, territory):
    r = client_for(users.district).post(
        "/api/v1/people/residents/search", {"q": "张"}, content_type="application/json"
    )
    assert r.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"x"),
        ("multipart/form-data; boundary=", b"x"),
        ("multipart/form-data; boundary=b0d9", b"--b0d9\r\ngarbage"),
    ],
)
def test_an_unparsable_upload_is_a_400(users, content_type, body):
    r = client_for(users.district).generic(
        "POST", "/api/v1/people/import", body, content_type=content_type
    )
    assert r.status_code in (400, 422), r.content[:200]
    assert r.json()["error"]["message"]


@pytest.mark.django_db
def test_a_superuser_asking_for_a_missing_row_gets_a_404_not_a_500(territory):
    """The kind schemathesis found: `.get()` on a number that is not there (servicehall)."""
    from jiceng.accounts.models import User
    from jiceng.testing import client_for

    admin = User.objects.create_superuser("root2", password="x" * 12)
    r = client_for(admin).post(
        "/api/v1/servicehall/applications/0/moves",
        data=json.dumps({"move": "supplement", "reason": "", "days": 1, "material_ids": []}),
        content_type="application/json",
    )
    assert r.status_code in (404, 422), r.content
    assert r.json()["error"]["message"]


@pytest.mark.django_db
def test_a_superuser_without_a_department_cannot_rate_a_dispatch(territory):
    """A superuser passes every action check, yet a rating needs the rater's department."""
    from jiceng.accounts.models import User
    from jiceng.testing import client_for

    admin = User.objects.create_superuser("root3", password="x" * 12)
    r = client_for(admin).post(
        "/api/v1/assessment/dispatch-ratings",
        data=json.dumps({"rating": 2, "number": "610921-20261130-0008"}),
        content_type="application/json",
    )
    assert r.status_code in (403, 404), r.content
    assert r.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/cases/610921-20261101-0001/", "/api/v1/no-such-thing", "/api/v1/cases/x/y"]
)
def test_an_api_address_no_route_matches_is_a_json_404_in_the_error_shape(users, url):
    """A trailing slash on a detail address, or a typo, used to answer with Django's HTML
    404 page; under /api/v1/ it is the API's error shape. Pages keep their HTML 404."""
    r = client_for(users.district).get(url)
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == "not_found" and url in err["message"]
    page = client_for(users.district).get("/no-such-page/")
    assert page.status_code == 404 and not page["Content-Type"].startswith("application/json")
