"""The JSON API as a client sees it: typed errors, scope, the public follow-up."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.servicehall.models import ServiceItem
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
API = "/api/v1/servicehall"


def body(hall, code="MZ-001", missing=(), **kw):
    item = ServiceItem.objects.get(code=code)
    return {
        "item_code": code,
        "applicant_name": "任春早",
        "applicant_phone": "13912345678",
        "region_code": hall.t.village2.code,
        "materials": [
            {"material_id": m.id, "state": "missing" if m.name in missing else "provided"}
            for m in item.current.materials.all()
        ],
        **kw,
    }


def test_intake_through_the_api_and_the_one_time_notice(hall):
    c = client_for(hall.village_clerk)
    r = c.post(f"{API}/applications", body(hall, missing=("户口簿", "居民身份证")),
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["status"] == "awaiting" and out["notices"][0]["missing"] == ["居民身份证", "户口簿"]
    # the applicant follows it by number and phone, without logging in; the phone is masked
    pub = Client().post(f"{API}/track", {"number": out["number"], "phone": "13912345678"},
                        content_type="application/json")  # fmt: skip
    assert pub.status_code == 200 and pub.json()["applicant_phone"] == "139****5678"
    wrong = Client().post(f"{API}/track", {"number": out["number"], "phone": "13900000000"},
                          content_type="application/json")  # fmt: skip
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"


def test_bad_input_gets_a_structured_chinese_error(hall):
    c = client_for(hall.village_clerk)
    r = c.post(f"{API}/applications", body(hall, applicant_phone="123"),
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = c.post(f"{API}/applications", body(hall, code="SC-001"), content_type="application/json")
    assert r.status_code == 400 and "不能在村（社区）受理" in r.json()["error"]["message"]
    r = c.post(f"{API}/applications", "{not json", content_type="application/json")
    assert r.status_code in (400, 422) and "error" in r.json()


def test_moves_and_lists_are_scoped(hall):
    r = client_for(hall.village_clerk).post(f"{API}/applications", body(hall),
                                            content_type="application/json")  # fmt: skip
    number = r.json()["number"]
    other = client_for(hall.other_town_clerk)
    assert other.get(f"{API}/applications").json() == []
    assert other.get(f"{API}/applications/{number}").status_code == 404
    r = other.post(f"{API}/applications/{number}/moves", {"move": "pass"},
                   content_type="application/json")  # fmt: skip
    assert r.status_code == 404
    r = client_for(hall.town_clerk).post(f"{API}/applications/{number}/moves", {"move": "pass"},
                                         content_type="application/json")  # fmt: skip
    assert r.status_code == 403 and "办件在村（社区）" in r.json()["error"]["message"]
    r = client_for(hall.village_clerk).post(f"{API}/applications/{number}/moves",
                                            {"move": "pass"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["current_level"] == "town"
    assert Client().get(f"{API}/applications").status_code == 401


def test_the_public_guide_and_the_openapi_document(hall):
    r = Client().get(f"{API}/catalogue/MZ-001")
    assert r.status_code == 200 and r.json()["compression"] == 0.75
    assert Client().get(f"{API}/catalogue/NOPE").status_code == 404
    spec = Client().get("/api/v1/openapi.json").json()
    assert f"{API.removeprefix('/api/v1')}/applications" in str(spec["paths"]) or any(
        p.endswith("/servicehall/applications") for p in spec["paths"]
    )


def test_only_a_district_administrator_publishes_a_guide(hall):
    from jiceng.servicehall.demo_items import guides

    g = guides()[0].model_dump()
    g["promised_days"] = 4
    r = client_for(hall.town_clerk).post(f"{API}/catalogue", g, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client_for(hall.users.district).post(f"{API}/catalogue", g, content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 2


def test_weekly_ratings_and_agents_are_scoped_in_the_api(hall):
    assert client_for(hall.users.resident).get(f"{API}/ratings/weekly").status_code == 403
    mine = client_for(hall.users.street).get(f"{API}/proxy/agents").json()
    assert [a["name"] for a in mine] == [hall.agent_user.display_name]
    assert client_for(hall.users.other_street).get(f"{API}/proxy/agents").json() == []
    r = client_for(hall.users.other_street).post(
        f"{API}/proxy/agents/{hall.agent.pk}/reviews",
        {"quarter": "2026Q4", "reviewer": "x", "score": 3},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不在您的管辖范围内" in r.json()["error"]["message"]


def test_public_booking_signing_and_rating_through_the_api(hall):
    c = Client()
    booking = {"kind": "home", "item_code": "MZ-001", "resident_name": "王德福",
               "resident_phone": "13700001111", "region_code": hall.t.village2.code}  # fmt: skip
    r = c.post(f"{API}/proxy/requests", booking, content_type="application/json")
    assert r.status_code == 201 and r.json()["agent"] == hall.agent_user.display_name
    r = c.post(f"{API}/proxy/requests", booking | {"resident_phone": "1"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422
    made = client_for(hall.village_clerk).post(f"{API}/applications", body(hall, code="RS-001"),
                                               content_type="application/json").json()  # fmt: skip
    who = {"number": made["number"], "phone": "13912345678"}
    r = c.post(f"{API}/track/sign", who | {"signed_hash": "a" * 64,
               "signature": "data:image/png;base64,AAAA"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "changed"
    r = c.post(f"{API}/track/rating", who | {"score": 5}, content_type="application/json")
    assert r.status_code == 409 and "办结后才能评价" in r.json()["error"]["message"]


def test_assigning_a_booking_through_the_api_is_refused_outside_the_town(hall):
    from jiceng.servicehall import proxy
    from jiceng.servicehall.tests.test_ratings_proxy import MON, req

    waiting = proxy.request(req(hall, region_code=hall.t.village1.code), now=MON)
    r = client_for(hall.other_town_clerk).post(
        f"{API}/proxy/requests/{waiting.pk}/assign",
        {"agent_id": hall.agent.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不在您的管辖范围内" in r.json()["error"]["message"]
