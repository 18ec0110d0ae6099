"""Pure coordinate and geometry helpers (jiceng.lib.geo)."""

from __future__ import annotations

import random

import pytest
import shapely

from jiceng.lib import geo


def test_gcj_and_wgs_convert_both_ways_within_a_tenth_of_a_metre():
    lon, lat = 108.510946, 32.891121
    gx, gy = geo.from_wgs84(lon, lat, "gcj02")
    # GCJ-02 moves points by a few hundred metres around 汉阴.
    assert 0.001 < abs(gx - lon) + abs(gy - lat) < 0.02
    wx, wy = geo.to_wgs84(gx, gy, "gcj02")
    assert abs(wx - lon) < 1e-6 and abs(wy - lat) < 1e-6


def test_wgs84_input_is_left_alone():
    assert geo.to_wgs84(108.5, 32.9, "wgs84") == (108.5, 32.9)
    assert geo.to_wgs84(108.5, 32.9, "WGS-84") == (108.5, 32.9)


@pytest.mark.parametrize(
    "lon, lat, crs, message",
    [
        (181, 30, "wgs84", "经度"),
        (100, -91, "wgs84", "纬度"),
        ("x", 30, "wgs84", "数字"),
        (float("nan"), 30, "wgs84", "有限"),
        (100, 30, "bd09", "坐标系"),
    ],
)
def test_bad_points_raise_a_chinese_error(lon, lat, crs, message):
    with pytest.raises(geo.GeoError, match=message):
        geo.to_wgs84(lon, lat, crs)


def test_a_whole_geometry_converts_vertex_by_vertex():
    square = {
        "type": "Polygon",
        "coordinates": [
            [[108.4, 32.8], [108.5, 32.8], [108.5, 32.9], [108.4, 32.9], [108.4, 32.8]]
        ],
    }
    gcj = geo.convert_geojson(square, "wgs84", "gcj02")
    back = geo.convert_geojson(gcj, "gcj02", "wgs84")
    for (x0, y0), (x1, y1) in zip(square["coordinates"][0], back["coordinates"][0], strict=True):
        assert abs(x0 - x1) < 2e-6 and abs(y0 - y1) < 2e-6
    assert geo.bbox(square) == (108.4, 32.8, 108.5, 32.9)


def test_non_polygons_and_broken_polygons_are_reported():
    with pytest.raises(geo.GeoError, match="Polygon"):
        geo.parse_geometry({"type": "Point", "coordinates": [1, 2]})
    bowtie = geo.parse_geometry(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    )
    assert "Self-intersection" in geo.validity_problem(bowtie)


def test_generated_cells_cover_their_parent_without_overlap():
    parent = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0.5, 0.6), (0, 1)])
    rng = random.Random(1)
    pts = geo.relaxed_points(parent, 12, rng)
    cells = geo.voronoi_cells(parent, pts)
    assert abs(sum(c.area for c in cells) - parent.area) < 1e-9
    assert shapely.union_all(cells).symmetric_difference(parent).area < 1e-9
    groups = geo.kd_groups(pts, [5, 4, 3])
    assert sorted(len(g) for g in groups) == [3, 4, 5]
    assert sorted(i for g in groups for i in g) == list(range(12))
