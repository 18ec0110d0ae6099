"""Coordinates and GeoJSON geometry, as pure functions (no Django).

jiceng stores WGS-84 (docs/decisions/0002). GCJ-02 — what AMap, Tencent maps and DataV give —
and BD-09 — what Baidu maps give — are converted at the edges with the PyPI package
`coord-convert`'s forward formulas, never with a hand-written formula.

The inverse GCJ-02 → WGS-84 has no closed form: it is found by fixed-point iteration on the
forward formula. `coord-convert`'s own `gcj2wgs` iterates `while delta >= 1e-6` with no limit,
and near the edge of its China box (lon 72.004…137.8347, lat 0.8293…55.8271) the forward
formula jumps (offset inside, none outside), the iteration flips between two points for
ever, and one request hung a server worker (issue 9 item 7). `_gcj_to_wgs` runs the same
iteration at most `MAX_ITERATIONS` times and refuses a point that does not converge with a
Chinese GeoError (a 400), so every call on user input is bounded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from coord_convert.transform import bd2gcj, outOfChina, wgs2bd, wgs2gcj
from django.utils.translation import gettext_lazy
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_CHOICES = (WGS84, GCJ02, BD09)
CRS_LABELS = {
    WGS84: gettext_lazy("WGS-84（GPS、浏览器定位）"),
    GCJ02: gettext_lazy("GCJ-02（高德、腾讯地图）"),
    BD09: gettext_lazy("BD-09（百度地图）"),
}
# The fixed-point iteration halves the error at least every step inside the box (the
# offset's derivative is far below 1): 1e-6° is reached in under 10 steps; 30 is ample.
MAX_ITERATIONS = 30
TOLERANCE = 1e-6


class GeoError(ValueError):
    """Bad coordinates or geometry; the message is Chinese and shown to the user."""


def check_crs(crs: str) -> str:
    if crs == WGS84 or crs == GCJ02:  # the common calls, without string clean-up
        return crs
    crs = (crs or WGS84).strip().lower().replace("-", "")
    if crs not in CRS_CHOICES:
        raise GeoError(f"不支持的坐标系：{crs}（可用 wgs84、gcj02 或 bd09）")
    return crs


def _gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by bounded fixed-point iteration on coord-convert's `wgs2gcj`.

    Outside the China box GCJ-02 is WGS-84 (the forward formula is the identity there).
    Raises GeoError when the iteration does not converge within MAX_ITERATIONS, which
    happens only for points in the gap the forward formula leaves at the box's edge.
    """
    if outOfChina(lon, lat):
        return lon, lat
    x, y = lon, lat
    for _ in range(MAX_ITERATIONS):
        gx, gy = wgs2gcj(x, y)
        nx, ny = x - (gx - lon), y - (gy - lat)
        if abs(nx - x) < TOLERANCE and abs(ny - y) < TOLERANCE:
            return nx, ny
        x, y = nx, ny
    raise GeoError(
        f"GCJ-02 坐标 ({lon}, {lat}) 位于国测局坐标换算范围的边缘，无法换算为 WGS-84，"
        "请改用 WGS-84（GPS）坐标"
    )


def _bd_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02 (coord-convert's closed form) → WGS-84 (bounded)."""
    return _gcj_to_wgs(*bd2gcj(lon, lat))


_TO_WGS = {GCJ02: _gcj_to_wgs, BD09: _bd_to_wgs}
_FROM_WGS = {GCJ02: wgs2gcj, BD09: wgs2bd}


def check_point(lon: float, lat: float) -> tuple[float, float]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise GeoError("经纬度必须是数字") from exc
    # math, not numpy: numpy on one float costs a microsecond per call.
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeoError("经纬度必须是有限数值")
    if not -180 <= lon <= 180:
        raise GeoError(f"经度 {lon} 超出 -180～180")
    if not -90 <= lat <= 90:
        raise GeoError(f"纬度 {lat} 超出 -90～90")
    return lon, lat


def to_wgs84(lon: float, lat: float, crs: str = WGS84) -> tuple[float, float]:
    """A point in `crs` (wgs84, gcj02, bd09) as WGS-84 degrees; GeoError if it cannot be."""
    lon, lat = check_point(lon, lat)
    crs = check_crs(crs)
    if crs == WGS84:
        return lon, lat
    x, y = _TO_WGS[crs](lon, lat)
    return float(x), float(y)


def from_wgs84(lon: float, lat: float, crs: str = WGS84) -> tuple[float, float]:
    """A WGS-84 point expressed in `crs` (wgs84, gcj02, bd09)."""
    lon, lat = check_point(lon, lat)
    crs = check_crs(crs)
    if crs == WGS84:
        return lon, lat
    x, y = _FROM_WGS[crs](lon, lat)
    return float(x), float(y)


def _convert_array(
    coords: np.ndarray, fn: Callable[[float, float], tuple[float, float]]
) -> np.ndarray:
    out = np.empty_like(coords)
    for i, (x, y) in enumerate(coords[:, :2]):
        out[i, 0], out[i, 1] = fn(float(x), float(y))
    return out


def convert_geometry(geom: BaseGeometry, src: str, dst: str = WGS84) -> BaseGeometry:
    """A shapely geometry with every vertex converted from `src` to `dst`."""
    src, dst = check_crs(src), check_crs(dst)
    if src == dst:
        return geom

    def fn(x: float, y: float) -> tuple[float, float]:
        if src != WGS84:
            x, y = _TO_WGS[src](x, y)
        return _FROM_WGS[dst](x, y) if dst != WGS84 else (x, y)

    return shapely.transform(geom, lambda c: _convert_array(c, fn))


def convert_geojson(geometry: dict, src: str, dst: str = WGS84) -> dict:
    """A GeoJSON geometry dict converted from `src` to `dst` (a new dict)."""
    return to_geojson(convert_geometry(parse_geometry(geometry), src, dst))


def parse_geometry(geometry: Any) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry dict, with a Chinese error if it is not one."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise GeoError("缺少几何对象（geometry）")
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        raise GeoError(f"边界必须是 Polygon 或 MultiPolygon，而不是 {geometry['type']}")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        raise GeoError(f"几何坐标格式有误：{exc}") from exc
    if geom.is_empty:
        raise GeoError("几何对象为空")
    return geom


def to_geojson(geom: BaseGeometry, precision: int | None = None) -> dict:
    """A GeoJSON geometry dict (lists, not tuples, so it stores as JSON unchanged)."""
    if precision is not None:
        geom = shapely.set_precision(geom, 10.0**-precision)
    return _lists(mapping(geom))


def _lists(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_lists(v) for v in obj]
    return obj


def bbox(geometry: dict | BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    geom = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
    x0, y0, x1, y1 = geom.bounds
    return float(x0), float(y0), float(x1), float(y1)


def validity_problem(geom: BaseGeometry) -> str | None:
    """None if valid, else shapely's reason (e.g. 'Self-intersection[108.5 32.8]')."""
    if geom.is_valid:
        return None
    return shapely.is_valid_reason(geom)


# --- generated subdivisions (demo and benchmark territories) -------------------------------


def random_points_in(polygon: BaseGeometry, n: int, rng: random.Random) -> np.ndarray:
    """`n` uniformly random points inside `polygon` (rejection sampling in its bbox)."""
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    out: list[tuple[float, float]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 1000 * (n + 10):
            raise GeoError("无法在多边形内取点（面积过小？）")
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(polygon, x, y):
            out.append((x, y))
    return np.array(out, dtype=float).reshape(-1, 2)


def voronoi_cells(polygon: BaseGeometry, points: np.ndarray) -> list[BaseGeometry]:
    """The Voronoi cell of each point (same order), clipped to `polygon`."""
    if len(points) == 1:
        return [polygon]
    mp = shapely.multipoints(points)
    cells = shapely.voronoi_polygons(mp, extend_to=polygon, ordered=True)
    return [polygon.intersection(c) for c in shapely.get_parts(cells)]


def relaxed_points(
    polygon: BaseGeometry, n: int, rng: random.Random, rounds: int = 2
) -> np.ndarray:
    """Random points spread more evenly by a few Lloyd rounds (cells of similar size)."""
    pts = random_points_in(polygon, n, rng)
    for _ in range(rounds):
        if n == 1:
            break
        moved = []
        for p, cell in zip(pts, voronoi_cells(polygon, pts), strict=True):
            if cell.is_empty:
                moved.append(p)
                continue
            c = cell.centroid
            if not polygon.contains(c):
                c = cell.point_on_surface()
            moved.append((c.x, c.y))
        pts = np.array(moved, dtype=float)
    return pts


def kd_groups(points: np.ndarray, sizes: list[int]) -> list[list[int]]:
    """Split point indices into contiguous groups of the given sizes (a weighted k-d split).

    Each split cuts across the longer side of the group's extent, so the groups — and the
    unions of their Voronoi cells — come out compact and in one piece.
    """
    if sum(sizes) != len(points):
        raise ValueError("sizes must add up to the number of points")

    def split(idx: list[int], sizes_: list[int]) -> list[list[int]]:
        if len(sizes_) == 1:
            return [idx]
        half = len(sizes_) // 2
        left_n = sum(sizes_[:half])
        sub = points[idx]
        axis = 0 if np.ptp(sub[:, 0]) >= np.ptp(sub[:, 1]) else 1
        order = [idx[i] for i in np.argsort(sub[:, axis], kind="stable")]
        return split(order[:left_n], sizes_[:half]) + split(order[left_n:], sizes_[half:])

    return split(list(range(len(points))), list(sizes))


def rounded(geom: BaseGeometry, digits: int = 7) -> BaseGeometry:
    """Coordinates rounded to `digits` decimals (7 ≈ 1 cm), vertex order kept as given."""
    return shapely.transform(geom, lambda c: np.round(c, digits))
