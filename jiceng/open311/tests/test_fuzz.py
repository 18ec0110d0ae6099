"""Odd input never gives a 500 and always gives a parseable body in the asked format."""

from __future__ import annotations

import json
import random
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from jiceng.open311.tests.conftest import IN_GRID

ODD = [
    "",
    " ",
    "0",
    "-1",
    "NaN",
    "-inf",
    "1e309",
    "9" * 400,
    "坑" * 5000,
    "\x00\x01\x02",
    "😀🚧",
    "\u202eevil",
    "<script>alert(1)</script>",
    "]]><x>",
    "'; DROP TABLE cases_case; --",
    "%00",
    "a,b,,c,,,",
    "2026-02-30",
    "open,closed,open",
]
FIELDS = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "attribute[households]",
    "attribute[hazards][]",
    "attribute[]",
    "attribute[[x]]",
]
READS = ["services", "services/1001", "requests", "requests/x", "tokens/x", "discovery"]
READ_PARAMS = [
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
]


def parse(resp, fmt):
    assert resp.status_code in (200, 400, 403, 404), resp.status_code
    if fmt == "json":
        json.loads(resp.content)
    else:
        ET.fromstring(resp.content)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_random_odd_posts_never_fail_the_server(cats, api_key, fmt):
    rng = random.Random(f"open311-fuzz-{fmt}")
    c = Client()
    for _ in range(60):
        data: dict = {"api_key": api_key, "service_code": "1001", **IN_GRID}
        for field in rng.sample(FIELDS, rng.randint(1, 6)):
            data[field] = [rng.choice(ODD) for _ in range(rng.randint(1, 3))]
        resp = c.post(f"/open311/v2/requests.{fmt}", data)
        parse(resp, fmt)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_random_odd_reads_never_fail_the_server(cats, fmt):
    rng = random.Random(f"open311-read-{fmt}")
    c = Client()
    for _ in range(80):
        path = rng.choice(READS)
        if "/" in path and rng.random() < 0.5:
            path = path.split("/")[0] + "/" + quote(rng.choice(ODD), safe="")
        qs = "&".join(
            f"{p}={quote(rng.choice(ODD))}" for p in rng.sample(READ_PARAMS, rng.randint(0, 4))
        )
        resp = c.get(f"/open311/v2/{path}.{fmt}?{qs}")
        parse(resp, fmt)


@pytest.mark.django_db
def test_control_characters_posted_in_text_still_give_valid_xml(cats, api_key):
    c = Client()
    resp = c.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "1002",
            "description": "垃圾\x01堆放\x0b很久了\x7f，😀",
            "address_string": "五一村\x00村口",
            **IN_GRID,
        },
    )
    assert resp.status_code == 200
    number = resp.json()[0]["service_request_id"]
    root = ET.fromstring(c.get(f"/open311/v2/requests/{number}.xml").content)
    assert root.find("request").findtext("description") == "垃圾堆放很久了\x7f，😀"


@pytest.mark.django_db
def test_too_many_fields_is_a_400_not_a_crash(cats, api_key):
    data = {f"attribute[f{i}]": "x" for i in range(1200)}
    resp = Client().post("/open311/v2/requests.xml", {"api_key": api_key, **data})
    assert resp.status_code == 400
    ET.fromstring(resp.content)


@pytest.mark.django_db
def test_a_json_body_instead_of_a_form_is_a_clear_403_or_400(cats, api_key):
    resp = Client().post(
        "/open311/v2/requests.json",
        json.dumps({"api_key": api_key, "service_code": "1002"}),
        content_type="application/json",
    )
    assert resp.status_code == 403 and "api_key" in resp.json()[0]["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bytes_that_are_not_utf8_are_read_without_a_crash(cats, api_key, fmt):
    body = f"api_key={api_key}&service_code=1002&address_string=%FF%FE&description=%C3%28abcdef"
    resp = Client().post(
        f"/open311/v2/requests.{fmt}", body, content_type="application/x-www-form-urlencoded"
    )
    parse(resp, fmt)
    resp = Client().get(f"/open311/v2/requests.{fmt}?status=%FF&service_code=%C3%28")
    parse(resp, fmt)
