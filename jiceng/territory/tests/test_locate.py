"""Point → grid, village, street and county (jiceng.territory.locate)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from jiceng.lib import geo
from jiceng.territory import locate
from jiceng.territory.models import Level, Region


@pytest.mark.django_db
def test_a_point_in_a_level_3_grid_gets_the_grid_and_everything_above_it(territory):
    loc = locate.locate(108.405, 32.805)  # inside grid3a (a 0.01° square)
    assert loc.found
    assert loc.grid_code == territory.grid3a.code and loc.grid_level == 3
    assert loc.grid_name == "城关社区第1网格"
    assert (loc.village_code, loc.village_name) == ("610921001001", "城关社区")
    assert (loc.street_code, loc.street_name) == ("610921001", "城关镇")
    assert (loc.county_code, loc.county_name) == ("610921", "汉阴县")


@pytest.mark.django_db
def test_the_lowest_grid_level_wins(territory):
    # Inside grid2 but outside both level-3 grids: grid2, not grid1.
    assert locate.locate(108.415, 32.815).grid_code == territory.grid2.code
    # Inside grid1 only.
    assert locate.locate(108.44, 32.84).grid_code == territory.grid1.code


@pytest.mark.django_db
def test_a_point_in_a_village_without_grids_gets_the_village_and_a_clear_message(territory):
    loc = locate.locate(108.47, 32.82)  # 五一村 has no grids
    assert not loc.found and loc.grid_code is None
    assert loc.village_code == territory.village2.code
    assert loc.street_code == territory.town1.code
    assert loc.message == locate.NOT_FOUND


@pytest.mark.django_db
def test_a_point_outside_everything_is_an_answer_not_an_error(territory):
    loc = locate.locate(100.0, 30.0)
    assert not loc.found and loc.deepest_code is None
    assert loc.message == locate.NOT_IN_TERRITORY


@pytest.mark.django_db
def test_many_points_at_once_give_the_same_answers_as_one_by_one(territory):
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(108.35, 108.65, 500), rng.uniform(32.75, 33.05, 500)])
    many = locate.locate_many([tuple(p) for p in pts])
    assert [m.deepest_code for m in many] == [locate.locate(*p).deepest_code for p in pts]
    assert any(m.found for m in many) and any(not m.found for m in many)


@pytest.mark.django_db
def test_a_new_grid_is_found_at_once_after_it_is_saved(territory):
    assert locate.locate(108.505, 32.805).grid_code == territory.grid_v3.code
    Region.objects.create(
        code=territory.grid_v3.code + "001",
        name="双河口村第1二级网格",
        level=Level.GRID,
        grid_level=2,
        parent=territory.grid_v3,
        boundary=geo.to_geojson(shapely.box(108.50, 32.80, 108.51, 32.81)),
    )
    assert locate.locate(108.505, 32.805).grid_code == territory.grid_v3.code + "001"


@pytest.mark.django_db
def test_another_process_sees_a_changed_token_and_rebuilds(territory, monkeypatch):
    index = locate.get_index()
    assert locate.get_index() is index  # cached
    locate.IndexVersion.objects.update(token="changed-elsewhere")
    monkeypatch.setattr(locate, "CHECK_SECONDS", 0.0)
    assert locate.get_index() is not index


def _real_hanyin(shared_data) -> tuple[shapely.Geometry, shapely.Geometry]:
    data = json.loads((shared_data / "geo" / "county-610921-hanyin.geojson").read_text("utf-8"))
    gcj = geo.parse_geometry(data["features"][0]["geometry"])
    return gcj, geo.convert_geometry(gcj, "gcj02", "wgs84")


@pytest.mark.django_db
@pytest.mark.shared_data
def test_on_the_real_hanyin_boundary_gcj_input_is_converted_before_lookup(shared_data):
    gcj, wgs = _real_hanyin(shared_data)
    from jiceng.territory.demo import DIVISIONS
    from jiceng.territory.divisions import import_divisions

    import_divisions(DIVISIONS, "610921")
    county = Region.objects.get(code="610921")
    county.boundary = geo.to_geojson(wgs)
    county.save()
    # A point just inside the outline as a phone map (GCJ-02) gives it, that read as
    # WGS-84 would be outside the county: only the conversion places it right.
    x0, y0, x1, y1 = gcj.bounds
    candidates = [
        (x, y)
        for x in np.linspace(x0, x1, 120)
        for y in np.linspace(y0, y1, 120)
        if gcj.contains(shapely.Point(x, y)) and not wgs.contains(shapely.Point(x, y))
    ]
    assert candidates, "GCJ-02 and WGS-84 outlines should differ by a few hundred metres"
    x, y = candidates[len(candidates) // 2]
    as_gcj = locate.locate(x, y, crs="gcj02")
    assert as_gcj.county_code == "610921" and as_gcj.county_name == "汉阴县"
    assert as_gcj.message == locate.NOT_FOUND  # in the county, in no grid yet
    assert locate.locate(x, y, crs="wgs84").county_code is None
    # A WGS-84 point well inside: both readings agree it is in 汉阴.
    inner = wgs.representative_point()
    assert locate.locate(inner.x, inner.y).county_code == "610921"
    far = locate.locate(108.0, 32.0, crs="gcj02")
    assert far.deepest_code is None and far.message == locate.NOT_IN_TERRITORY
