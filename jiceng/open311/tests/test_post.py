"""POST requests: a posted request becomes a case of the loop (channel open311)."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from jiceng.cases.models import Case
from jiceng.open311.models import ApiKey, Submission
from jiceng.open311.tests.conftest import IN_GRID

URL = "/open311/v2/requests.{fmt}"
TEXT = "学校门口的人行道塌了一个大坑，晚上很危险，请尽快修补！"


def post(fmt: str, data: dict, client: Client | None = None):
    return (client or Client()).post(URL.format(fmt=fmt), data)


def base(api_key: str, **more) -> dict:
    return {
        "api_key": api_key,
        "service_code": "1001",
        "description": TEXT,
        "attribute[households]": "12",
        **IN_GRID,
        **more,
    }


@pytest.mark.django_db
def test_a_posted_request_becomes_an_open311_case_in_its_grid(cats, api_key):
    resp = post(
        "json",
        base(
            api_key,
            address_string="城关镇新街口 18 号",
            media_url="https://img.example.org/坑.jpg",
            first_name="小明",
            last_name="王",
            phone="+86 138-0013-8000",
            email="wang@example.org",
            device_id="dev-1",
            account_id="acc-9",
            address_id="A-77",
            **{
                "attribute[severity]": "heavy",
                "attribute[hazards][]": ["night", "school"],
                "attribute[seen_at]": "2026-11-21T20:30:00+08:00",
            },
        ),
    )
    assert resp.status_code == 200, resp.content.decode()
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(resp.content)
    assert isinstance(body, list) and len(body) == 1
    item = body[0]
    assert set(item) == {"service_request_id", "service_notice", "account_id"}
    assert item["account_id"] == "acc-9"
    case = Case.objects.get(number=item["service_request_id"])
    assert case.channel == "open311"
    assert case.category == cats.road
    assert case.description == TEXT
    assert case.region_code == "610921001001001001001"
    assert (case.lat, case.lon) == (32.805, 108.405)
    assert case.address == "城关镇新街口 18 号"
    assert case.media == ["https://img.example.org/坑.jpg"]
    assert case.reporter_name == "王小明" and case.reporter_phone == "13800138000"
    assert case.extra == {
        "households": 12.0,
        "severity": "heavy",
        "hazards": ["night", "school"],
        "seen_at": "2026-11-21T20:30:00+08:00",
    }
    sub = Submission.objects.get(case=case)
    assert (sub.email, sub.device_id, sub.address_id) == ("wang@example.org", "dev-1", "A-77")
    assert ApiKey.objects.get().last_used_at is not None
    assert case.number in item["service_notice"]


@pytest.mark.django_db
def test_posting_in_xml_answers_in_xml_with_chinese_intact(cats, api_key):
    resp = post("xml", base(api_key, address_string="涧池镇双河口村"))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(resp.content)
    assert root.tag == "service_requests"
    (req,) = root.findall("request")
    number = req.findtext("service_request_id")
    assert req.find("account_id") is not None and not req.findtext("account_id")
    assert "已受理" in req.findtext("service_notice")
    read = Client().get(f"/open311/v2/requests/{number}.xml")
    r = ET.fromstring(read.content).find("request")
    assert r.findtext("description") == TEXT
    assert r.findtext("address") == "涧池镇双河口村"


@pytest.mark.django_db
def test_an_address_alone_is_a_location(cats, api_key):
    data = base(api_key, address_string="城关镇解放路口")
    del data["lat"], data["long"]
    resp = post("json", data)
    assert resp.status_code == 200
    case = Case.objects.get(number=resp.json()[0]["service_request_id"])
    assert case.lat is None and case.address == "城关镇解放路口"


@pytest.mark.django_db
def test_an_address_id_alone_is_a_location_and_is_read_back(cats, api_key):
    data = base(api_key, address_id="HY-0001")
    del data["lat"], data["long"]
    resp = post("json", data)
    assert resp.status_code == 200
    number = resp.json()[0]["service_request_id"]
    assert Client().get(f"/open311/v2/requests/{number}.json").json()[0]["address_id"] == "HY-0001"


@pytest.mark.django_db
def test_a_request_without_description_still_becomes_a_readable_case(cats, api_key):
    data = base(api_key, service_code="1002")
    del data["description"], data["attribute[households]"]
    resp = post("json", data)
    assert resp.status_code == 200
    case = Case.objects.get(number=resp.json()[0]["service_request_id"])
    assert "垃圾堆放" in case.description and "测试客户端" in case.description


@pytest.mark.django_db
def test_empty_optional_parameters_are_the_same_as_absent_ones(cats, api_key):
    resp = post(
        "json",
        base(
            api_key,
            jurisdiction_id="",
            address_string="",
            address_id="",
            email="",
            phone="",
            media_url="",
            first_name="",
            **{"attribute[severity]": "", "attribute[hazards][]": ""},
        ),
    )
    assert resp.status_code == 200, resp.content.decode()
    case = Case.objects.get(number=resp.json()[0]["service_request_id"])
    assert case.media == [] and case.extra == {"households": 12.0}


@pytest.mark.django_db
def test_the_api_key_may_come_in_the_query_string(cats, api_key):
    data = base(api_key)
    del data["api_key"]
    resp = Client().post(f"/open311/v2/requests.json?api_key={api_key}", data)
    assert resp.status_code == 200


@pytest.mark.django_db
def test_a_multi_value_list_may_also_be_sent_as_repeated_or_single_values(cats, api_key):
    resp = post("json", base(api_key, **{"attribute[hazards]": ["night", "traffic"]}))
    assert resp.status_code == 200
    case = Case.objects.get(number=resp.json()[0]["service_request_id"])
    assert case.extra["hazards"] == ["night", "traffic"]


@pytest.mark.django_db
def test_the_posting_view_needs_no_csrf_token(cats, api_key):
    resp = post("json", base(api_key), client=Client(enforce_csrf_checks=True))
    assert resp.status_code == 200


@pytest.mark.django_db
def test_the_jurisdiction_may_be_the_county_code_or_the_configured_domain(cats, api_key, settings):
    settings.JICENG_OPEN311_JURISDICTION = ["hanyin.gov.cn"]
    for jid in ("610921", "610921000000", "hanyin.gov.cn", "www.hanyin.gov.cn", "testserver"):
        resp = post("json", base(api_key, jurisdiction_id=jid))
        assert resp.status_code == 200, (jid, resp.content.decode())
