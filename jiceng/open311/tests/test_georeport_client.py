"""Reads through an independent client: the PyPI package `georeport` (GeoReport v2
wrapper; it parses JSON with requests and XML with xmltodict) against a live server.
It has no method to post, so posting uses plain `requests` the way a client form would."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from jiceng.open311.tests.conftest import IN_GRID

pytestmark = pytest.mark.django_db(transaction=True)
TEXT = "城关镇新街口路面塌陷，直径约一米，请尽快处理。"


def _post(base: str, key: str, fmt: str) -> requests.Response:
    return requests.post(
        f"{base}/requests.{fmt}",
        data={
            "api_key": key,
            "jurisdiction_id": "610921",
            "service_code": "1001",
            "description": TEXT,
            "address_string": "城关镇新街口",
            "media_url": "https://img.example.org/a.jpg",
            "attribute[households]": "5",
            "attribute[severity]": "heavy",
            "attribute[hazards][]": ["night", "school"],
            "phone": "13800138000",
            "first_name": "明",
            "last_name": "王",
            "email": "w@example.org",
            **IN_GRID,
        },
        timeout=30,
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_off_the_shelf_client_lists_posts_and_reads_back(live_server, cats, api_key, fmt):
    base = f"{live_server.url}/open311/v2"
    client = GeoReport(base, jurisdiction="610921", output_format=fmt)

    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["1001", "1002"]
    road = services[0]
    assert road["service_name"] == "道路破损" and road["group"] == "城乡建设"
    assert road["type"] == "realtime" and road["keywords"] == "坑,塌陷,路面"
    assert road["metadata"] in (True, "true") and services[1]["metadata"] in (False, "false")

    definition = client.get_service_definition("1001")
    assert definition["service_code"] == "1001"
    attrs = definition["attributes"]
    attrs = attrs["attribute"] if fmt == "xml" else attrs
    assert [a["code"] for a in attrs] == ["households", "severity", "hazards", "seen_at"]
    assert [a["datatype"] for a in attrs] == [
        "number",
        "singlevaluelist",
        "multivaluelist",
        "datetime",
    ]
    assert attrs[0]["required"] in (True, "true") and attrs[1]["required"] in (False, "false")
    assert [str(a["order"]) for a in attrs] == ["1", "2", "3", "4"]
    values = attrs[2]["values"]["value"] if fmt == "xml" else attrs[2]["values"]
    assert [(v["key"], v["name"]) for v in values][:2] == [
        ("night", "夜间看不清"),
        ("school", "学校附近"),
    ]

    resp = _post(base, api_key, fmt)
    assert resp.status_code == 200, resp.text
    if fmt == "json":
        number = resp.json()[0]["service_request_id"]
    else:
        import xmltodict

        number = xmltodict.parse(resp.content)["service_requests"]["request"]["service_request_id"]

    one = client.get_service_request(number)
    many = client.get_service_requests(status="open", service_code="1001")
    listed = many if fmt == "json" else many  # one request: xmltodict gives the dict itself
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [number]
    by_id = client.get_service_requests(service_request_id=f"{number},nope")
    by_id = by_id if isinstance(by_id, list) else [by_id]
    assert [r["service_request_id"] for r in by_id] == [number]

    for r in (one, listed[0]):
        assert r["status"] == "open"
        assert r["description"] == TEXT and r["address"] == "城关镇新街口"
        assert r["service_code"] == "1001" and r["service_name"] == "道路破损"
        assert r["agency_responsible"] == "城关镇综治中心"
        assert r["media_url"] == "https://img.example.org/a.jpg"
        assert float(r["lat"]) == 32.805 and float(r["long"]) == 108.405
        assert r["requested_datetime"].endswith("+08:00")
        assert r["expected_datetime"].endswith("+08:00")
        # personal data is never returned
        flat = str(r)
        assert "13800138000" not in flat and "王明" not in flat and "w@example.org" not in flat
        for field in ("phone", "email", "first_name", "last_name", "device_id", "account_id"):
            assert field not in r


def test_discovery_names_this_endpoint_in_both_formats(live_server, db):
    import xmltodict

    j = requests.get(f"{live_server.url}/open311/v2/discovery.json", timeout=30).json()
    x = xmltodict.parse(
        requests.get(f"{live_server.url}/open311/v2/discovery.xml", timeout=30).content
    )["discovery"]
    for d in (j, x):
        assert set(d) >= {"changeset", "contact", "key_service", "endpoints"}
    ep = j["endpoints"][0]
    assert ep["url"] == f"{live_server.url}/open311/v2"
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["formats"] == ["text/xml", "application/json"]
    xep = x["endpoints"]["endpoint"]
    assert xep["url"] == ep["url"] and xep["formats"]["format"] == ep["formats"]
