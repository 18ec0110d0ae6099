"""One error shape in the OpenAPI document (decision 0106): every 4xx answer of every
operation references the shared `ErrorOut` (jiceng/lib/errors.py), which declares
`details`; no app declares a copy of its own; each status is one key of the served JSON."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiceng.lib.errors import ErrorOut

REF = "#/components/schemas/ErrorOut"


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, f"duplicate keys in the served document: {dup}"
    return dict(pairs)


@pytest.fixture
def doc(db) -> dict:
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    return json.loads(r.content, object_pairs_hook=_no_duplicate_keys)


def _answers(doc: dict):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, answer in op.get("responses", {}).items():
                yield f"{method.upper()} {path} {status}", status, answer


def test_every_4xx_answer_references_the_one_error_schema(doc):
    wrong, seen = [], 0
    for where, status, answer in _answers(doc):
        if not status.startswith("4"):
            continue
        seen += 1
        content = answer.get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if list(content) != ["application/json"] or schema != {"$ref": REF}:
            wrong.append(f"{where}: {json.dumps(content, ensure_ascii=False)[:120]}")
    assert seen > 500  # every operation has its 4xx answers (the API has ~100 operations)
    assert not wrong, wrong[:20]


def test_the_one_error_schema_declares_code_message_and_details(doc):
    schemas = doc["components"]["schemas"]
    out = schemas["ErrorOut"]
    assert out["properties"]["error"] == {"$ref": "#/components/schemas/ErrorBody"}
    body = schemas["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "details"}
    assert set(body["required"]) == {"code", "message"}
    details = body["properties"]["details"]["anyOf"][0]
    assert details["items"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert set(schemas["ErrorDetail"]["properties"]) == {"loc", "msg", "type"}
    # the shared schema's, not a copy's that happened to win the name
    shared = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    assert body == shared["$defs"]["ErrorBody"]
    assert out == {k: v for k, v in shared.items() if k != "$defs"}


def test_no_other_error_schema_is_in_the_document(doc):
    """An app's own copy (`Error`, `ErrorOut` without details) would show up as another
    component, or would be referenced from an answer."""
    names = [n for n in doc["components"]["schemas"] if "error" in n.lower()]
    assert sorted(names) == ["ErrorBody", "ErrorDetail", "ErrorOut"], names


def test_no_app_declares_an_error_schema_of_its_own():
    """The apps import the shared one: their `ErrorOut` is jiceng.lib.errors.ErrorOut."""
    import importlib

    from jiceng import api as root

    for app in ("assessment", "cases", "command", "community", "dispatch", "servicehall"):
        module = importlib.import_module(f"jiceng.{app}.api")
        errors = getattr(module, "ERRORS", {})
        for status, schema in errors.items():
            assert schema is ErrorOut, (app, status, schema)
        assert getattr(module, "ErrorOut", ErrorOut) is ErrorOut, app
        assert getattr(module, "ErrorBody", root.ErrorBody) is root.ErrorBody, app
        assert not hasattr(module, "Error"), app


@pytest.mark.django_db
def test_an_answer_with_details_keeps_them(users):
    """What the document declares is what the API answers: a 422's details are there."""
    from jiceng.testing import client_for

    r = client_for(users.district).post("/api/v1/cases/", "[]", content_type="application/json")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["body"]
