"""Service list and service definitions from the category tree and its extra fields."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_service_list_is_a_bare_array_of_active_leaf_categories(cats):
    resp = Client().get("/open311/v2/services.json")
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(resp.content)
    assert body == [
        {
            "service_code": "1001",
            "service_name": "道路破损",
            "description": "道路、人行道路面破损、塌陷",
            "metadata": True,
            "type": "realtime",
            "keywords": "坑,塌陷,路面",
            "group": "城乡建设",
        },
        {
            "service_code": "1002",
            "service_name": "垃圾堆放",
            "description": "城乡建设/垃圾堆放",
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "城乡建设",
        },
    ]
    assert "道路破损".encode() in resp.content  # UTF-8, not \\u escapes


@pytest.mark.django_db
def test_the_service_list_in_xml_has_services_and_service_elements(cats):
    resp = Client().get("/open311/v2/services.xml")
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(resp.content)
    assert root.tag == "services" and [c.tag for c in root] == ["service", "service"]
    assert root[0].findtext("service_name") == "道路破损"
    assert root[0].findtext("metadata") == "true" and root[1].findtext("metadata") == "false"


@pytest.mark.django_db
def test_a_service_definition_is_an_object_with_ordered_attributes(cats):
    body = json.loads(Client().get("/open311/v2/services/1001.json").content)
    assert body["service_code"] == "1001"
    first, single, multi, when = body["attributes"]
    assert first == {
        "variable": True,
        "code": "households",
        "datatype": "number",
        "required": True,
        "datatype_description": "数字",
        "order": 1,
        "description": "受影响户数：大约有多少户受影响",
        "values": [],
    }
    assert single["values"] == [{"key": "light", "name": "轻微"}, {"key": "heavy", "name": "严重"}]
    assert multi["datatype"] == "multivaluelist" and len(multi["values"]) == 3
    assert when["datatype"] == "datetime" and when["required"] is False


@pytest.mark.django_db
def test_a_service_definition_in_xml_nests_attributes_and_values(cats):
    root = ET.fromstring(Client().get("/open311/v2/services/1001.xml").content)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "1001"
    attrs = root.find("attributes").findall("attribute")
    assert [a.findtext("code") for a in attrs] == ["households", "severity", "hazards", "seen_at"]
    assert attrs[0].findtext("variable") == "true" and attrs[0].findtext("required") == "true"
    assert [v.findtext("name") for v in attrs[2].find("values").findall("value")] == [
        "夜间看不清",
        "学校附近",
        "车流量大",
    ]


@pytest.mark.django_db
def test_a_service_without_extra_fields_has_an_empty_definition(cats):
    body = json.loads(Client().get("/open311/v2/services/1002.json").content)
    assert body == {"service_code": "1002", "attributes": []}


@pytest.mark.django_db
def test_broken_extra_fields_still_give_a_valid_definition(cats):
    cats.litter.extra_fields = [
        {"code": "b", "label": "B", "datatype": "boolean", "order": "x"},
        {"label": "no code"},
        "nonsense",
        {"code": "a", "label": "A", "datatype": "singlevaluelist", "order": 1, "values": [{}]},
    ]
    cats.litter.save()
    body = json.loads(Client().get("/open311/v2/services/1002.json").content)
    assert [(a["code"], a["datatype"], a["order"]) for a in body["attributes"]] == [
        ("a", "singlevaluelist", 1),
        ("b", "string", 2),
    ]
