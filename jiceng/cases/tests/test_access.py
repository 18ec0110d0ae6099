"""Who sees which case: territory subtree, department assignment, resident's own."""

from __future__ import annotations

import json

import pytest

from jiceng.cases import services
from jiceng.testing import client_for


@pytest.fixture
def two_cases(users, cats, in_grid):
    mine = services.intake(
        channel="app",
        request_type="complaint",
        category=cats.road,
        description="小区门口路面塌陷有积水",
        user=users.resident,
        **in_grid,
    )
    other = services.intake(
        channel="hotline",
        request_type="help",
        category=cats.road,
        description="双河口村道路被山体滑坡阻断",
        user=users.district,
        lon=108.52,
        lat=32.82,
        reporter_phone="13700000000",
    )
    return mine, other


def _numbers(user):
    r = client_for(user).get("/api/v1/cases/")
    assert r.status_code == 200
    return {c["number"] for c in r.json()}


@pytest.mark.django_db
def test_a_street_sees_its_town_and_not_the_next_one(users, two_cases):
    mine, other = two_cases
    assert _numbers(users.street) == {mine.number}
    assert _numbers(users.other_street) == {other.number}
    assert _numbers(users.district) == {mine.number, other.number}
    assert _numbers(users.other_district) == set()
    assert _numbers(users.no_scope) == set()


@pytest.mark.django_db
def test_a_resident_sees_only_their_own_cases(users, two_cases):
    mine, other = two_cases
    assert _numbers(users.resident) == {mine.number}
    r = client_for(users.resident).get(f"/api/v1/cases/{other.number}")
    assert r.status_code == 404


@pytest.mark.django_db
def test_a_department_sees_only_cases_assigned_to_it(users, two_cases):
    mine, other = two_cases
    assert _numbers(users.department) == set()
    services.transition(mine, "register", user=users.street)
    services.transition(mine, "dispatch", user=users.street, unit=users.dept.code)
    assert _numbers(users.department) == {mine.number}
    assert _numbers(users.other_department) == set()
    r = client_for(users.other_department).get(f"/api/v1/cases/{mine.number}")
    assert r.status_code == 404


@pytest.mark.django_db
def test_an_anonymous_caller_is_refused(client, two_cases):
    assert client.get("/api/v1/cases/").status_code == 401


@pytest.mark.django_db
def test_a_resident_cannot_raise_an_alarm_or_take_hotline_cases_through_the_api(users, cats):
    r = client_for(users.resident).post(
        "/api/v1/cases/",
        data=json.dumps(
            {
                "channel": "alarm",
                "description": "我家楼下有人吵架很久了",
                "category": cats.road.code,
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201
    assert r.json()["channel"] == "app" and r.json()["urgency"] == 1


@pytest.mark.django_db
def test_a_required_extra_field_is_enforced_at_intake(users, cats):
    r = client_for(users.street).post(
        "/api/v1/cases/",
        data=json.dumps(
            {
                "channel": "hotline",
                "description": "整栋楼停水一天了",
                "category": cats.water.code,
                "extra": {"kind": "x"},
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "影响户数" in r.json()["error"]["message"] and "取值无效" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_the_cases_api_is_described_in_openapi_and_moves_work_through_it(users, cats, in_grid):
    from django.test import Client

    doc = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{number}/moves/{move}" in doc["paths"]
    c = client_for(users.street)
    r = c.post(
        "/api/v1/cases/",
        data=json.dumps(
            {
                "channel": "hotline",
                "description": "整栋楼停水一天了",
                "category": cats.water.code,
                "extra": {"households": 30, "kind": "b"},
                **in_grid,
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201
    number = r.json()["number"]
    assert r.json()["extra"] == {"households": 30.0, "kind": "b"}
    r = c.post(
        f"/api/v1/cases/{number}/moves/dispatch",
        data=json.dumps({"unit": users.dept.code}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    d = c.get(f"/api/v1/cases/{number}").json()
    assert [e["move"] for e in d["events"]] == ["report", "register", "dispatch"]
    assert "redispatch" in d["moves"] and "accept" not in d["moves"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "crs, lon, lat", [("gcj02", 72.006, 30.0), ("bd09", 72.0125, 30.006), ("bd09", 72.006, 30.0)]
)
def test_a_point_at_the_edge_of_the_conversion_box_is_a_400_at_once_not_a_hang(
    users, cats, crs, lon, lat
):
    import time

    def post(lon: float, lat: float):
        return client_for(users.street).post(
            "/api/v1/cases/",
            data=json.dumps(
                {
                    "channel": "hotline",
                    "description": "整栋楼停水一天了",
                    "category": cats.water.code,
                    "lon": lon,
                    "lat": lat,
                    "crs": crs,
                }
            ),
            content_type="application/json",
        )

    post(108.5, 32.9)  # warm: the point index is built on the first call of a process
    t0 = time.perf_counter()
    r = post(lon, lat)
    assert time.perf_counter() - t0 < 2
    assert r.status_code in (201, 400), r.content
    if r.status_code == 400:
        assert r.json()["error"]["message"]
