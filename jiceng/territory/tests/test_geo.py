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
        (100, 30, "epsg3857", "坐标系"),
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


# ---- bounded conversion (issue 9 item 7) and BD-09 (issue 10 item 5)


@pytest.mark.parametrize(
    "lon, lat",
    [(72.006, 30.0), (72.0045, 30.0), (72.005, 40.0), (137.834, 40.0), (100.0, 0.83)],
)
def test_a_gcj02_point_at_the_edge_of_the_box_is_refused_or_converted_quickly(lon, lat):
    import time

    t0 = time.perf_counter()
    try:
        x, y = geo.to_wgs84(lon, lat, "gcj02")
    except geo.GeoError as exc:
        assert "GCJ-02" in str(exc) and "WGS-84" in str(exc)
    else:
        gx, gy = geo.from_wgs84(x, y, "gcj02")
        assert abs(gx - lon) < 1e-5 and abs(gy - lat) < 1e-5
    assert time.perf_counter() - t0 < 0.1


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
@pytest.mark.parametrize("lon, lat", [(108.405, 32.805), (116.397, 39.909), (121.47, 31.23)])
def test_conversions_round_trip_within_a_tenth_of_a_metre(crs, lon, lat):
    x, y = geo.from_wgs84(lon, lat, crs)
    assert (abs(x - lon) + abs(y - lat)) > 1e-4  # really shifted
    bx, by = geo.to_wgs84(x, y, crs)
    assert abs(bx - lon) < 1e-6 and abs(by - lat) < 1e-6


def test_the_bounded_inverse_agrees_with_coord_convert_where_it_converges():
    from coord_convert.transform import bd2wgs, gcj2wgs

    for lon, lat in [(108.405, 32.805), (87.6, 43.8), (126.6, 45.7)]:
        assert geo.to_wgs84(lon, lat, "gcj02") == pytest.approx(gcj2wgs(lon, lat), abs=1e-7)
        assert geo.to_wgs84(lon, lat, "bd09") == pytest.approx(bd2wgs(lon, lat), abs=1e-7)


def test_outside_china_gcj02_is_wgs84():
    assert geo.to_wgs84(10.0, 50.0, "gcj02") == (10.0, 50.0)
