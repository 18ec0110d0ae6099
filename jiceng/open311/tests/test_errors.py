"""Every error the spec names answers with its HTTP status and an `errors` body
(array of {code, description}) in the requested format."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from jiceng.open311.tests.conftest import IN_GRID

FORMATS = ["json", "xml"]


def errors_of(resp) -> list[dict]:
    """Parse an errors body in either format, checking its shape on the way."""
    if resp["Content-Type"].startswith("application/json"):
        body = json.loads(resp.content)
        assert isinstance(body, list) and body
        for e in body:
            assert set(e) == {"code", "description"} and isinstance(e["code"], int)
        return body
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(resp.content)
    assert root.tag == "errors"
    out = []
    for el in root:
        assert el.tag == "error"
        assert [c.tag for c in el] == ["code", "description"]
        out.append(
            {"code": int(el.findtext("code") or 0), "description": el.findtext("description")}
        )
    assert out
    return out


def assert_error(resp, status: int, *words: str) -> list[dict]:
    assert resp.status_code == status, resp.content.decode()
    errs = errors_of(resp)
    assert all(e["code"] == status for e in errs)
    text = " ".join(e["description"] for e in errs)
    for w in words:
        assert w in text, (w, text)
    return errs


def good(api_key: str) -> dict:
    return {
        "api_key": api_key,
        "service_code": "1001",
        "description": "路面塌陷，急需修补",
        "attribute[households]": "3",
        **IN_GRID,
    }


# (what is wrong, change to a good post, status, words in the description)
POST_CASES = [
    ("no api_key", {"api_key": None}, 403, ["api_key"]),
    ("empty api_key", {"api_key": ""}, 403, ["api_key"]),
    ("wrong api_key", {"api_key": "o311_not-a-key"}, 403, ["api_key"]),
    ("unknown service_code", {"service_code": "9999"}, 404, ["service_code", "9999"]),
    ("inactive category", {"service_code": "1003"}, 404, ["service_code"]),
    ("parent category is no service", {"service_code": "10"}, 404, ["service_code"]),
    ("missing service_code", {"service_code": None}, 400, ["service_code"]),
    ("empty service_code", {"service_code": ""}, 400, ["service_code"]),
    ("wrong jurisdiction", {"jurisdiction_id": "beijing.gov.cn"}, 404, ["jurisdiction_id"]),
    ("no location", {"lat": None, "long": None}, 400, ["lat", "address_string", "address_id"]),
    ("lat without long", {"long": None}, 400, ["long"]),
    ("lat not a number", {"lat": "北纬32度"}, 400, ["lat"]),
    ("lat NaN", {"lat": "NaN"}, 400, ["lat"]),
    ("lat infinite", {"lat": "inf"}, 400, ["lat"]),
    ("lat out of range", {"lat": "-91"}, 400, ["lat"]),
    ("long out of range", {"long": "180.5"}, 400, ["long"]),
    ("point outside the county", {"lat": "39.9", "long": "116.4"}, 400, ["jurisdiction"]),
    ("required attribute missing", {"attribute[households]": None}, 400, ["households"]),
    ("required attribute empty", {"attribute[households]": ""}, 400, ["households"]),
    ("number attribute not a number", {"attribute[households]": "很多"}, 400, ["households"]),
    ("unknown single list value", {"attribute[severity]": "huge"}, 400, ["severity", "huge"]),
    (
        "unknown multi list value",
        {"attribute[hazards][]": ["night", "火星"]},
        400,
        ["hazards", "火星"],
    ),
    ("bad datetime attribute", {"attribute[seen_at]": "昨天晚上"}, 400, ["seen_at"]),
    ("description over 4000", {"description": "坑" * 4001}, 400, ["description"]),
    ("bad email", {"email": "not-an-email"}, 400, ["email"]),
    ("bad phone", {"phone": "12"}, 400, ["phone"]),
    ("media_url not http", {"media_url": "javascript:alert(1)"}, 400, ["media_url"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "change,status,words", [c[1:] for c in POST_CASES], ids=[c[0] for c in POST_CASES]
)
def test_a_bad_post_answers_with_the_spec_status_and_an_errors_body(
    cats, api_key, fmt, change, status, words
):
    data = good(api_key)
    for k, v in change.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    resp = Client().post(f"/open311/v2/requests.{fmt}", data)
    assert_error(resp, status, *words)
    from jiceng.cases.models import Case

    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_refused(cats, fmt):
    from jiceng.open311.models import ApiKey

    obj, key = ApiKey.issue("旧客户端")
    obj.revoke()
    assert_error(Client().post(f"/open311/v2/requests.{fmt}", good(key)), 403, "api_key")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_several_faults_are_reported_together(cats, api_key, fmt):
    data = good(api_key)
    data.update({"lat": "abc", "email": "x", "attribute[severity]": "huge"})
    data.pop("attribute[households]")
    errs = assert_error(Client().post(f"/open311/v2/requests.{fmt}", data), 400)
    assert len(errs) == 4


GET_CASES = [
    ("unknown service", "services/9999.{fmt}", 404, ["9999"]),
    ("unknown request", "requests/610921-20260101-9999.{fmt}", 404, ["service_request_id"]),
    ("unknown token", "tokens/abc.{fmt}", 404, ["token"]),
    (
        "wrong jurisdiction on services",
        "services.{fmt}?jurisdiction_id=x.gov",
        404,
        ["jurisdiction"],
    ),
    (
        "wrong jurisdiction on requests",
        "requests.{fmt}?jurisdiction_id=610922",
        404,
        ["jurisdiction"],
    ),
    ("wrong jurisdiction on definition", "services/1001.{fmt}?jurisdiction_id=1", 404, []),
    ("bad start_date", "requests.{fmt}?start_date=yesterday", 400, ["start_date"]),
    ("bad end_date", "requests.{fmt}?end_date=2026-13-01", 400, ["end_date"]),
    (
        "start after end",
        "requests.{fmt}?start_date=2026-11-20&end_date=2026-11-01",
        400,
        ["start_date"],
    ),
    (
        "range over 90 days",
        "requests.{fmt}?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        400,
        ["90"],
    ),
    ("bad status", "requests.{fmt}?status=pending", 400, ["status"]),
    ("bad status in a list", "requests.{fmt}?status=open,done", 400, ["status"]),
    ("unknown resource", "reports.{fmt}", 404, []),
]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path,status,words", [c[1:] for c in GET_CASES], ids=[c[0] for c in GET_CASES]
)
def test_a_bad_read_answers_with_the_spec_status_and_an_errors_body(cats, fmt, path, status, words):
    resp = Client().get("/open311/v2/" + path.format(fmt=fmt))
    errs = assert_error(resp, status, *words)
    assert resp["Content-Type"].startswith("application/json" if fmt == "json" else "text/xml")
    assert errs


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["services.html", "services.", "services", "requests/1", "discovery.yaml", "tokens/x.csv"],
)
def test_an_unknown_format_is_a_404_errors_body_in_xml(cats, path):
    resp = Client().get("/open311/v2/" + path)
    assert_error(resp, 404)
    assert resp["Content-Type"] == "text/xml; charset=utf-8"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_is_a_400_errors_body_with_allow(cats, fmt):
    resp = Client().post(f"/open311/v2/services.{fmt}", {})
    assert_error(resp, 400, "POST")
    assert resp["Allow"] == "GET, HEAD"
    resp = Client().delete(f"/open311/v2/requests.{fmt}")
    assert_error(resp, 400)
    assert resp["Allow"] == "GET, HEAD, POST"
