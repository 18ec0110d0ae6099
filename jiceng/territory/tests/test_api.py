"""Territory API: what each user may see, and clear errors for bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.territory.locate import NOT_FOUND
from jiceng.territory.models import GridStaff, SizingRule
from jiceng.territory.services import OUT_OF_SCOPE
from jiceng.testing import client_for

API = "/api/v1/territory"
G3A = "610921001001001001001"

# Endpoints that name a region or grid of 城关镇 (town1).
CODE_ENDPOINTS = [
    f"{API}/regions?parent=610921001",
    f"{API}/regions/610921001",
    f"{API}/grids?under=610921001",
    f"{API}/grids/{G3A}",
    f"{API}/sizing-exceptions?under=610921001",
    f"{API}/geojson?under=610921001",
]


@pytest.fixture
def staffed(territory):
    GridStaff.objects.create(
        grid=territory.grid3a, role="grid_worker", name="陈晓梅", phone="13991500001"
    )
    GridStaff.objects.create(
        grid=territory.grid2, role="grid_head", name="王建国", phone="13991500002"
    )
    return territory


@pytest.mark.django_db
@pytest.mark.parametrize("url", CODE_ENDPOINTS)
@pytest.mark.parametrize("who", ["other_street", "other_district", "no_scope"])
def test_a_user_outside_the_town_gets_404_for_its_codes(users, url, who):
    r = client_for(getattr(users, who)).get(url)
    assert r.status_code == 404
    assert r.json()["error"]["message"] in ("该区域不存在或不在您的管辖范围内", "您没有管辖区域")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    # (the grids GeoJSON is the report map's too: a resident sees the county's grid
    # boundaries, public facts — see the test of the one grids GeoJSON below)
    [
        *(u for u in CODE_ENDPOINTS if "/geojson" not in u),
        f"{API}/regions",
        f"{API}/grids",
        f"{API}/locate?lon=108.405&lat=32.805",
    ],
)
def test_a_resident_is_refused_every_territory_endpoint(users, url):
    r = client_for(users.resident).get(url)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "您的角色无权执行此操作"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*CODE_ENDPOINTS, f"{API}/regions", f"{API}/locate?lon=1&lat=1"])
def test_an_anonymous_caller_must_log_in(territory, url):
    r = Client().get(url)
    assert r.status_code == 401


@pytest.mark.django_db
def test_a_street_dispatcher_cannot_open_a_grid_of_another_town(users, territory):
    r = client_for(users.street).get(f"{API}/grids/{territory.grid_v3.code}")
    assert r.status_code == 404
    assert (
        client_for(users.other_street).get(f"{API}/grids/{territory.grid_v3.code}").status_code
        == 200
    )


@pytest.mark.django_db
def test_lists_only_hold_what_the_user_may_see(users, territory):
    street = client_for(users.street)
    codes = [g["code"] for g in street.get(f"{API}/grids?page_size=500").json()["items"]]
    assert territory.grid3a.code in codes and territory.grid_v3.code not in codes
    assert client_for(users.no_scope).get(f"{API}/grids").json()["count"] == 0
    roots = street.get(f"{API}/regions").json()
    assert [r["code"] for r in roots] == ["610921001"]
    district = client_for(users.district)
    assert {r["code"] for r in district.get(f"{API}/regions?parent=610921").json()} == {
        "610921001",
        "610921002",
    }
    assert client_for(users.grid_worker).get(f"{API}/regions/610921001").status_code == 404


@pytest.mark.django_db
def test_region_detail_counts_each_level_below(users, staffed):
    body = client_for(users.district).get(f"{API}/regions/610921").json()
    c = body["counts"]
    assert (c["streets"], c["villages"], c["grids"]) == (2, 3, 5)
    assert (c["grids_level1"], c["grids_level2"], c["grids_level3"]) == (2, 1, 2)
    assert c["staff"] == 2
    assert body["bbox"] == pytest.approx([108.4, 32.8, 108.6, 33.0])


@pytest.mark.django_db
def test_grid_detail_lists_its_staff(users, staffed):
    body = client_for(users.street).get(f"{API}/grids/{G3A}").json()
    assert body["name"] == "城关社区第1网格" and body["village_name"] == "城关社区"
    assert [(s["name"], s["role_label"], s["phone"]) for s in body["staff"]] == [
        ("陈晓梅", "网格员", "13991500001")
    ]


@pytest.mark.django_db
def test_grids_filter_by_level_kind_and_name(users, territory):
    c = client_for(users.district)
    assert c.get(f"{API}/grids?level=3").json()["count"] == 2
    assert c.get(f"{API}/grids?kind=dedicated").json()["count"] == 0
    assert [g["code"] for g in c.get(f"{API}/grids?q=第2网格").json()["items"]] == [
        "610921001001001001002"
    ]
    page = c.get(f"{API}/grids?page=2&page_size=2").json()
    assert (page["count"], len(page["items"])) == (5, 2)


@pytest.mark.django_db
def test_locate_answers_inside_the_scope_and_hides_what_is_outside(users, territory):
    street = client_for(users.street)
    body = street.get(f"{API}/locate?lon=108.405&lat=32.805").json()
    assert body["found"] and body["grid_code"] == G3A and body["county_name"] == "汉阴县"
    # A point in the other town: the street dispatcher learns only that it is not theirs.
    other = street.get(f"{API}/locate?lon=108.505&lat=32.805").json()
    assert not other["found"] and other["message"] == OUT_OF_SCOPE and other["grid_code"] is None
    nowhere = street.get(f"{API}/locate?lon=100&lat=30").json()
    assert not nowhere["found"] and nowhere["message"]
    village_only = client_for(users.district).get(f"{API}/locate?lon=108.47&lat=32.82").json()
    assert village_only["village_name"] == "五一村" and village_only["message"] == NOT_FOUND


@pytest.mark.django_db
def test_locate_converts_gcj02_and_takes_batches(users, territory):
    from jiceng.lib import geo

    gx, gy = geo.from_wgs84(108.405, 32.805, "gcj02")
    c = client_for(users.district)
    assert c.get(f"{API}/locate?lon={gx}&lat={gy}&crs=gcj02").json()["grid_code"] == G3A
    r = c.post(
        f"{API}/locate",
        {"crs": "wgs84", "points": [[108.405, 32.805], [100, 30]]},
        content_type="application/json",
    )
    assert [p["found"] for p in r.json()] == [True, False]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, status, message",
    [
        (f"{API}/locate?lon=abc&lat=32", 422, "请求参数有误"),
        (f"{API}/locate?lon=108&lat=32&crs=epsg3857", 422, "请求参数有误"),
        (f"{API}/locate?lon=500&lat=32", 400, "经度 500.0 超出"),
        (f"{API}/grids?under=61x", 400, "区划代码只能由数字组成"),
        (f"{API}/grids?page_size=100000", 400, "“每页条数”最大为 500"),
        (f"{API}/regions/abc", 404, "不在您的管辖范围内"),
    ],
)
def test_bad_parameters_get_a_structured_chinese_error(users, url, status, message):
    r = client_for(users.district).get(url)
    assert r.status_code == status
    assert message in r.json()["error"]["message"]


@pytest.mark.django_db
def test_sizing_exceptions_list_grids_outside_their_rule_per_street(users, territory):
    # 城关社区 is urban: its level-3 grids of 25 households are far below 300–500.
    body = client_for(users.district).get(f"{API}/sizing-exceptions").json()
    street = next(s for s in body if s["street_code"] == "610921001")
    assert {e["code"] for e in street["exceptions"]} == {G3A, "610921001001001001002"}
    assert "偏少" in street["exceptions"][0]["reason"]
    SizingRule.objects.filter(urban=True).update(min_households=20)
    body = client_for(users.district).get(f"{API}/sizing-exceptions").json()
    assert all(not s["exceptions"] for s in body)


@pytest.mark.django_db
def test_geojson_for_the_map_holds_the_region_outline_and_its_grids(users, territory):
    data = client_for(users.street).get(f"{API}/geojson?under=610921001").json()
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds[0] == "outline"
    assert {f["properties"]["code"] for f in data["features"][1:]} == {
        "610921001001001",
        "610921001001001001",
        G3A,
        "610921001001001001002",
    }


@pytest.mark.django_db
def test_the_gcj02_point_that_hung_a_worker_is_a_400_at_once(users):
    import time

    t0 = time.perf_counter()
    r = client_for(users.district).get(f"{API}/locate?lon=72.006&lat=30.0&crs=gcj02")
    assert r.status_code == 400 and "GCJ-02" in r.json()["error"]["message"]
    assert time.perf_counter() - t0 < 1


@pytest.mark.django_db
def test_locate_takes_bd09(users, territory):
    from jiceng.lib import geo

    lon, lat = geo.from_wgs84(108.405, 32.805, "bd09")
    r = client_for(users.district).get(
        f"{API}/locate", {"lon": str(lon), "lat": str(lat), "crs": "bd09"}
    )
    assert r.status_code == 200
    assert r.json()["grid_code"] == territory.grid3a.code


@pytest.mark.django_db
def test_the_one_grids_geojson_serves_the_report_map_of_a_resident(users, territory):
    """Issue 10 item 5: one grids GeoJSON endpoint; a resident (no territory) gets the
    installation county's deepest grid cells, never another county's."""
    c = client_for(users.resident)
    data = c.get(f"{API}/geojson?deepest=true").json()
    codes_ = {
        f["properties"]["code"]
        for f in data["features"]
        if f["properties"].get("kind") != "outline"
    }
    assert codes_ == {territory.grid3a.code, territory.grid3b.code}
    assert data["region"]["code"] == territory.county.code
    assert c.get(f"{API}/geojson?under={territory.other_county.code}").status_code == 404
    # staff: their own territory by default, deepest level on request
    data = client_for(users.street).get(f"{API}/geojson?deepest=true").json()
    assert data["region"]["code"] == territory.town1.code
    assert {
        f["properties"]["code"]
        for f in data["features"]
        if f["properties"].get("kind") != "outline"
    } == {
        territory.grid3a.code,
        territory.grid3b.code,
    }
