"""The load map: scoped regions of the visible box, counts, simplification, bad boxes."""

from __future__ import annotations

import math

import pytest

from jiceng.command import loadmap
from jiceng.command.tests.conftest import IN_GRID3A, IN_TOWN2
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
COUNTY_BOX = "108.3,32.7,108.7,33.1"


@pytest.fixture
def loaded(users, units, cats, intake):
    a = intake(channel="hotline", lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street)
    b = intake(channel="hotline", lon=IN_TOWN2[0], lat=IN_TOWN2[1], user=users.street)
    return a, b


def _codes(resp):
    return {f["properties"]["code"]: f["properties"] for f in resp.json()["features"]}


def test_the_zoom_chooses_the_level_and_the_counts_come_with_it(users, loaded):
    c = client_for(users.district)
    streets = _codes(c.get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=10"))
    assert set(streets) == {"610921001", "610921002"}
    assert streets["610921001"]["open"] == 1 and streets["610921002"]["open"] == 1
    grids = _codes(c.get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=15"))
    assert grids["610921001001001001001"]["open"] == 1  # grid3a holds the first case
    assert grids["610921001001001001002"]["open"] == 0


def test_a_street_sees_only_its_street_on_the_map(users, loaded):
    c = client_for(users.street)
    codes = _codes(c.get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=15"))
    assert codes and all(k.startswith("610921001") for k in codes)
    villages = _codes(
        client_for(users.other_street).get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=12")
    )
    assert set(villages) == {"610921002001"}
    r = c.get("/command/map/region/610921002001.json")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    detail = c.get("/command/map/region/610921001001001001001.json").json()
    assert [x["number"] for x in detail["open"]] == [loaded[0].number]
    for u in (users.grid_worker, users.department, users.resident, users.community):
        assert (
            client_for(u).get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=10").status_code
            == 403
        )
        assert client_for(u).get("/command/map/").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3&zoom=10",
        "bbox=a,b,c,d&zoom=10",
        "bbox=108.7,32.7,108.3,33.1&zoom=10",  # west > east
        "bbox=nan,32.7,108.3,33.1&zoom=10",
        f"bbox={COUNTY_BOX}&zoom=99",
        f"bbox={COUNTY_BOX}&zoom=x",
        f"bbox={COUNTY_BOX}",
    ],
)
def test_a_bad_box_is_a_clear_error(users, query):
    r = client_for(users.district).get(f"/command/map/features.json?{query}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_bbox"
    assert r.json()["error"]["message"]


def test_low_zoom_geometry_is_simplified():
    # a circle of 2000 points, 0.05° across: at zoom 8 a pixel is ~0.0055°
    ring = [
        [
            108.4 + 0.05 * math.cos(2 * math.pi * i / 2000),
            32.8 + 0.05 * math.sin(2 * math.pi * i / 2000),
        ]
        for i in range(2000)
    ]
    ring.append(ring[0])
    geom = {"type": "Polygon", "coordinates": [ring]}
    low = loadmap.simplified("x-low", geom, 8)
    high = loadmap.simplified("x-high", geom, 17)
    assert len(low["coordinates"][0]) < 100 < len(high["coordinates"][0])


def test_a_crowded_box_is_truncated_not_sent_whole(users, loaded, monkeypatch):
    monkeypatch.setattr(loadmap, "MAX_FEATURES", 2)
    j = (
        client_for(users.district)
        .get(f"/command/map/features.json?bbox={COUNTY_BOX}&zoom=15")
        .json()
    )
    assert j["truncated"] is True and len(j["features"]) == 2
