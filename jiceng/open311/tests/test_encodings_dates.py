"""Open311 bodies as Chinese Windows clients send them, and dates at the calendar's edges
(issue 9 items 11 and 12)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from jiceng.cases.models import Case
from jiceng.open311.tests.conftest import IN_GRID

URL = "/open311/v2/requests.json"
TEXT = "学校门口的人行道塌了一个大坑，晚上很危险"


def _form(api_key: str, encoding: str) -> bytes:
    fields = {
        "api_key": api_key,
        "service_code": "1001",
        "description": TEXT,
        "attribute[households]": "12",
        "first_name": "小明",
        **IN_GRID,
    }
    return urlencode(fields, encoding=encoding).encode("ascii")


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["GBK", "gb2312", "GB18030", "utf-8"])
def test_a_form_body_with_its_charset_declared_is_read_as_declared(cats, api_key, charset):
    enc = "gb18030" if charset.lower().startswith("gb") else charset
    resp = Client().post(
        URL,
        _form(api_key, enc),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert resp.status_code == 200, resp.content.decode()
    case = Case.objects.get()
    assert case.description.startswith(TEXT) and "\ufffd" not in case.description


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_an_undeclared_gbk_body_is_refused_not_stored_as_garbage(cats, api_key, encoding):
    resp = Client().post(
        URL, _form(api_key, encoding), content_type="application/x-www-form-urlencoded"
    )
    assert resp.status_code == 400
    body = json.loads(resp.content)
    assert "UTF-8" in body[0]["description"] and "charset" in body[0]["description"]
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_gbk_query_string_is_refused(cats):
    q = urlencode({"service_code": "1001", "status": "打开"}, encoding="gbk")
    resp = Client().get(f"{URL}?{q}")
    assert resp.status_code == 400 and "UTF-8" in resp.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start_date=9999-12-31T23:59:59%2B14:00",
        "end_date=0001-01-01",
        "start_date=0001-01-01T00:00:00-12:00",
        "end_date=9999-12-31",
        "start_date=9999-12-31&end_date=9999-12-31",
        "start_date=1899-12-31",
    ],
)
def test_extreme_dates_give_the_specific_400(cats, query):
    resp = Client().get(f"{URL}?{query}")
    assert resp.status_code == 400, resp.content.decode()
    text = json.loads(resp.content)[0]["description"]
    assert "general service error" not in text
    assert "date" in text and "1900" in text


@pytest.mark.django_db
def test_ordinary_dates_still_work(cats):
    resp = Client().get(f"{URL}?start_date=2026-11-01&end_date=2026-11-20")
    assert resp.status_code == 200
