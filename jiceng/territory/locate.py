"""Point → grid, village, street and county.

Every region with a boundary (counties, streets, villages, grids, micro-grids) sits in one
in-memory shapely STRtree per process. A point takes the deepest region that contains it:
micro-grid > grid level 3 > 2 > 1 > village > street > county; the village, street and
county of a grid follow from its code. A point in no polygon gets an answer that says so.

The index is rebuilt when the `IndexVersion` token changes (imports, edits and the demo
bump it). Writes in this process drop the index at once; a change made by another process
is noticed at the next check, at most `CHECK_SECONDS` later.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiceng.lib import geo
from jiceng.lib.codes import LEVEL_CODE_LENGTH, parent_code
from jiceng.territory.models import IndexVersion, Level, Region

VERSION_NAME = "grids"
CHECK_SECONDS = 1.0
NOT_FOUND = "该位置不在任何网格内"
NOT_IN_TERRITORY = "该位置不在本系统管辖的任何区域内"
# The single-call raster: cells per leaf region, and a cap (memory: 4 bytes a cell in an
# int32 array; 16 bytes per distinct candidate row).
RASTER_CELLS_PER_LEAF = 32
RASTER_MAX_CELLS = 2_000_000
RASTER_MAX_CANDIDATES = 4
RASTER_RING_MAX = 40  # vertices of a ring tested in Python; a longer one goes to GEOS
RASTER_CHUNK = 25_000
_intersects_xy = shapely.intersects_xy


@dataclass(frozen=True)
class Location:
    lon: float  # WGS-84
    lat: float
    grid_code: str | None = None
    grid_name: str | None = None
    grid_level: int | None = None
    village_code: str | None = None
    village_name: str | None = None
    street_code: str | None = None
    street_name: str | None = None
    county_code: str | None = None
    county_name: str | None = None
    message: str = ""

    @property
    def found(self) -> bool:
        return self.grid_code is not None

    @property
    def deepest_code(self) -> str | None:
        return self.grid_code or self.village_code or self.street_code or self.county_code

    def as_dict(self) -> dict:
        return {**asdict(self), "found": self.found}


_EMPTY: dict[str, Any] = {f: None for f in Location.__dataclass_fields__}
_EMPTY["message"] = ""
_new = object.__new__


def parent_of(code: str) -> str | None:
    return parent_code(code)


class GridIndex:
    """An STRtree of region polygons; pure (built from rows, no database access)."""

    def __init__(
        self,
        rows: Iterable[tuple[str, str, int, int | None, dict | str]],
        names: dict[str, str],
    ):
        codes_: list[str] = []
        geoms = []
        ranks = []
        for code, _name, level, grid_level, boundary in rows:
            try:
                # GeoJSON text goes to GEOS's own parser (no Python list or float per
                # coordinate: decision 0084); a dict (tests, callers) through shapely
                geom = (
                    shapely.from_geojson(boundary, on_invalid="ignore")
                    if isinstance(boundary, str)
                    else shapely.geometry.shape(boundary)
                )
            except Exception:  # a broken stored boundary must not stop every lookup
                continue
            if geom is None or geom.is_empty:
                continue
            codes_.append(code)
            geoms.append(geom)
            # Deeper wins; grid levels order grids among themselves.
            ranks.append(level * 10 + (grid_level or 0))
        self.codes = np.array(codes_, dtype=object)
        self.ranks = np.array(ranks, dtype=np.int32)
        self.geoms = np.array(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        # Most points fall in exactly one leaf (a polygon with no child polygon): a tree of
        # leaves answers them with one hit each; the full tree settles the rest.
        parents = {parent_of(c) for c in codes_}
        self.leaf_ids = np.array(
            [i for i, c in enumerate(codes_) if c not in parents], dtype=np.int64
        )
        self.leaf_tree = shapely.STRtree(self.geoms[self.leaf_ids])
        self.names = names
        self._grid_level = {
            c: (r % 10) for c, r in zip(codes_, ranks, strict=True) if r >= Level.GRID * 10
        }
        self._parts: dict[int, dict] = {}
        self._outside = {**_EMPTY, "message": NOT_IN_TERRITORY}
        self._build_raster()
        # Prepared after the raster: the raster's predicates on prepared leaves would build
        # GEOS's prepared index of every leaf (≈ 57 MB at 45,000 grids); bare, a geometry's
        # index is made on its first use by the trees (the few points the raster does not
        # answer, and the batch path).
        shapely.prepare(self.geoms)
        _release_freed_memory()

    def _build_raster(self) -> None:
        """A raster over the leaves for single calls (docs/decisions/0050-perf-point-raster.md),
        held in numpy arrays (decision 0084).

        The leaves' extent is cut into about RASTER_CELLS_PER_LEAF cells per leaf; a cell
        that meets exactly one leaf, and lies in that leaf's interior (not touching its
        edge), answers every point in it with that leaf — the same answer the tree gives,
        since such a point meets that leaf alone. A cell on the edges of a few leaves
        (-2 - slot) names a row of `_cands`: the leaves that meet it, sorted, padded with
        -1; cells with the same leaves share the row. The rest (-1) go to the trees. A
        candidate with a simple ring keeps its vertices in `_ring_xy` (flat x, y floats
        from `_ring_off[leaf]`, `_ring_len[leaf]` values; -1: use GEOS).

        The single path reads these through memoryviews (a Python int or float per read,
        no numpy scalar), so the index holds four flat buffers instead of a Python tuple
        per candidate set and per ring.
        """
        self._raster: memoryview | None = None
        n_leaves = len(self.leaf_ids)
        if n_leaves == 0:
            return
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms[self.leaf_ids])
        if not (x1 > x0 and y1 > y0):
            return
        cells = min(RASTER_MAX_CELLS, max(1024, RASTER_CELLS_PER_LEAF * n_leaves))
        aspect = (x1 - x0) / (y1 - y0)
        nx = max(1, int(round((cells * aspect) ** 0.5)))
        ny = max(1, int(round(cells / nx)))
        dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
        k = RASTER_MAX_CANDIDATES
        packed = len(self.geoms) < _PACK_LIMIT and k * 16 <= 64
        raster = np.full(nx * ny, -1, dtype=np.int32)
        edge_cells: list[np.ndarray] = []
        edge_sets: list[np.ndarray] = []
        # in chunks of cells: the boxes of the whole raster at once would hold ~200 bytes
        # a cell of GEOS geometry (400 MB at a county's 1.4 M cells); 25,000 a chunk keeps
        # the build's peak ≈ 40 MB lower than 100,000 did, for the same build time
        for first in range(0, nx * ny, RASTER_CHUNK):
            cell = np.arange(first, min(first + RASTER_CHUNK, nx * ny), dtype=np.int64)
            jj, ii = np.divmod(cell, nx)
            bx0 = x0 + ii * dx
            by0 = y0 + jj * dy
            boxes = shapely.box(bx0, by0, bx0 + dx, by0 + dy)
            bidx, lidx = self.leaf_tree.query(boxes, predicate="intersects")
            count = np.bincount(bidx, minlength=len(boxes))
            one = count[bidx] == 1
            inside = np.zeros(len(bidx), dtype=bool)
            inside[one] = shapely.contains_properly(
                self.geoms[self.leaf_ids[lidx[one]]], boxes[bidx[one]]
            )
            raster[cell[bidx[inside]]] = self.leaf_ids[lidx[inside]]
            # A cell on the edges of a few leaves keeps them all as candidates (every leaf
            # that meets the cell): a point meeting exactly one of them meets it alone.
            few = ~inside & (count[bidx] <= k)
            fb, fl = bidx[few], self.leaf_ids[lidx[few]]
            if not len(fb):
                continue
            order = np.lexsort((fl, fb))  # by cell, then leaf
            fb, fl = fb[order], fl[order]
            starts = np.flatnonzero(np.r_[True, fb[1:] != fb[:-1]])
            sizes = np.diff(np.r_[starts, len(fb)])
            row = np.repeat(np.arange(len(starts)), sizes)
            sets = np.full((len(starts), k), -1, dtype=np.int32)
            sets[row, np.arange(len(fb)) - starts[row]] = fl
            edge_cells.append(cell[fb[starts]].astype(np.int32))
            edge_sets.append(_pack(sets) if packed else sets)
            del boxes, bidx, lidx, count, one, inside, few, fb, fl, order, sets, row
            # the chunk's GEOS boxes are freed but held by the C heap: give them back now,
            # or every chunk's high-water mark adds to the build's peak
            _release_freed_memory()
        if edge_sets and packed:
            # one int64 per cell (four 16-bit leaf numbers): a 1-d unique, a fraction of the
            # memory of a row-wise unique over (cells, 4) (the build's peak)
            keys, slot = np.unique(np.concatenate(edge_sets), return_inverse=True)
            cands = _unpack(keys, k)
            raster[np.concatenate(edge_cells)] = -2 - slot.reshape(-1).astype(np.int32)
        elif edge_sets:
            cands, slot = np.unique(np.concatenate(edge_sets), axis=0, return_inverse=True)
            raster[np.concatenate(edge_cells)] = -2 - slot.reshape(-1).astype(np.int32)
        else:
            cands = np.full((0, k), -1, dtype=np.int32)
        self._cands_np = np.ascontiguousarray(cands, dtype=np.int32)
        self._build_rings(np.unique(self._cands_np[self._cands_np >= 0]))
        self._raster_np = raster
        self._raster = raster.data  # a memoryview: Python ints per read
        self._cands = self._cands_np.reshape(-1).data
        self._rx0, self._ry0 = float(x0), float(y0)
        self._rsx, self._rsy = nx / (x1 - x0), ny / (y1 - y0)
        self._rnx, self._rny = nx, ny

    def _build_rings(self, leaves: np.ndarray) -> None:
        """Flat vertices of the candidate leaves whose outline is a simple ring (a polygon
        without holes, at most RASTER_RING_MAX vertices), for the pure-Python test."""
        off = np.full(len(self.geoms), -1, dtype=np.int64)
        length = np.zeros(len(self.geoms), dtype=np.int32)
        xy = np.zeros(0, dtype=np.float64)
        if len(leaves):
            g = self.geoms[leaves]
            polygon = shapely.get_type_id(g) == 3
            rings = shapely.get_exterior_ring(np.where(polygon, g, None))
            simple = (
                polygon
                & (shapely.get_num_interior_rings(g) == 0)
                & (shapely.get_num_coordinates(rings) <= RASTER_RING_MAX)
            )
            chosen = leaves[simple]
            coords = shapely.get_coordinates(rings[simple])
            n = shapely.get_num_coordinates(rings[simple]).astype(np.int64) * 2
            off[chosen] = np.r_[0, np.cumsum(n)[:-1]] if len(n) else n
            length[chosen] = n
            xy = np.ascontiguousarray(coords.reshape(-1), dtype=np.float64)
        self._ring_off_np, self._ring_len_np, self._ring_xy_np = off, length, xy
        self._ring_off = off.data
        self._ring_len = length.data
        self._ring_xy = xy.data

    @property
    def raster_share(self) -> float:
        """Share of the raster's cells answered without the trees (0..1)."""
        if self._raster is None:
            return 0.0
        return float(np.count_nonzero(self._raster_np != -1)) / len(self._raster_np)

    @property
    def nbytes(self) -> int:
        """Bytes of the raster's arrays (cells, candidate rows, rings)."""
        if self._raster is None:
            return 0
        return sum(
            a.nbytes
            for a in (
                self._raster_np,
                self._cands_np,
                self._ring_off_np,
                self._ring_len_np,
                self._ring_xy_np,
            )
        )

    def __len__(self) -> int:
        return len(self.codes)

    def _location(self, lon: float, lat: float, idx: int | None) -> Location:
        """The answer for region `idx`: a `Location` filled from the region's cached field
        values in one dict update (the frozen dataclass's `__init__` sets twelve fields
        through `object.__setattr__`, ≈ 40 % of a call; the object is the same)."""
        if idx is None:
            fields = self._outside
        else:
            fields = self._parts.get(idx)  # type: ignore[assignment]
            if fields is None:
                parts, message = self._describe(idx)
                fields = self._parts[idx] = {**_EMPTY, **parts, "message": message}
        loc = _new(Location)
        d = loc.__dict__
        d.update(fields)
        d["lon"] = lon
        d["lat"] = lat
        return loc

    def _describe(self, idx: int) -> tuple[dict, str]:
        """The names and codes of region `idx` and its parents (cached per region)."""
        code = self.codes[idx]
        parts: dict = {}
        if len(code) > LEVEL_CODE_LENGTH[Level.VILLAGE]:
            parts["grid_code"] = code
            parts["grid_name"] = self.names.get(code)
            parts["grid_level"] = self._grid_level.get(code)
        for key, length in (
            ("village", LEVEL_CODE_LENGTH[Level.VILLAGE]),
            ("street", LEVEL_CODE_LENGTH[Level.STREET]),
            ("county", LEVEL_CODE_LENGTH[Level.COUNTY]),
        ):
            if len(code) >= length:
                c = sys.intern(code[:length])  # one string per village, not per grid
                if c in self.names:
                    parts[f"{key}_code"] = c
                    parts[f"{key}_name"] = self.names[c]
        message = "" if "grid_code" in parts else NOT_FOUND
        return parts, message

    def locate(self, lon: float, lat: float) -> Location:
        """One WGS-84 point: the raster's cell if it answers, else the trees; the same
        region as `best_indices` gives for the point (ties: the lowest index)."""
        raster = self._raster
        if raster is not None:
            i = int((lon - self._rx0) * self._rsx)
            j = int((lat - self._ry0) * self._rsy)
            if 0 <= i < self._rnx and 0 <= j < self._rny:
                k = raster[j * self._rnx + i]
                if k >= 0:
                    return self._location(lon, lat, k)
                if k <= -2:
                    hit = -1
                    base = (-2 - k) * RASTER_MAX_CANDIDATES
                    for c in self._cands[base : base + RASTER_MAX_CANDIDATES].tolist():
                        if c < 0:
                            continue  # the row's padding (keeps the loop's else)
                        off = self._ring_off[c]
                        inside = (
                            _in_ring(
                                self._ring_xy[off : off + self._ring_len[c]].tolist(), lon, lat
                            )
                            if off >= 0
                            else int(_intersects_xy(self.geoms[c], lon, lat))
                        )
                        if inside == 0:
                            continue
                        if inside == 2 or hit >= 0:
                            hit = -1  # on an edge, or in two leaves: the trees decide
                            break
                        hit = c
                    else:
                        if hit >= 0:
                            return self._location(lon, lat, hit)
        point = shapely.Point(lon, lat)
        leaves = self.leaf_tree.query(point, predicate="intersects")
        if len(leaves) == 1:
            return self._location(lon, lat, int(self.leaf_ids[leaves[0]]))
        hits = self.tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return self._location(lon, lat, None)
        return self._location(lon, lat, int(_deepest(hits, self.ranks[hits])))

    def best_indices(self, xy: np.ndarray) -> np.ndarray:
        """For an (n, 2) array of WGS-84 points, the index of the deepest region (-1: none)."""
        points = shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2))
        best = np.full(len(points), -1, dtype=np.int64)
        pidx, lidx = self.leaf_tree.query(points, predicate="intersects")
        hits = np.bincount(pidx, minlength=len(points))
        single = hits[pidx] == 1
        best[pidx[single]] = self.leaf_ids[lidx[single]]
        rest = np.flatnonzero(hits != 1)
        if len(rest):
            best[rest] = self._best_full(points[rest])
        return best

    def _best_full(self, points: np.ndarray) -> np.ndarray:
        pidx, gidx = self.tree.query(points, predicate="intersects")
        best = np.full(len(points), -1, dtype=np.int64)
        if len(pidx):
            # Sort by point, then rank, then index descending: the last hit of each point
            # is its deepest region, and between equal ranks (a point on the shared edge of
            # two grids) the lowest index — the single path's `_deepest` rule.
            order = np.lexsort((-gidx, self.ranks[gidx], pidx))
            pidx, gidx = pidx[order], gidx[order]
            last = np.r_[pidx[1:] != pidx[:-1], True]
            best[pidx[last]] = gidx[last]
        return best

    def locate_many(self, xy: np.ndarray) -> list[Location]:
        best = self.best_indices(xy)
        return [
            self._location(float(x), float(y), None if b < 0 else int(b))
            for (x, y), b in zip(xy, best, strict=True)
        ]


def _in_ring(ring: Sequence[float], x: float, y: float) -> int:
    """0 outside, 1 inside, 2 on (or within rounding of) the boundary of a closed ring.

    Even-odd crossings; a point whose cross product with an edge it lies along is within
    ~1e-12 of zero counts as on the edge, so the caller hands it to GEOS (the trees)
    rather than decide a shared edge here."""
    inside = False
    x1, y1 = ring[0], ring[1]
    for i in range(2, len(ring), 2):
        x2, y2 = ring[i], ring[i + 1]
        if x == x2 and y == y2:
            return 2  # a vertex (a local top or bottom is spanned by no edge below)
        if (y1 > y) != (y2 > y) or (y1 == y == y2):
            cross = (x2 - x1) * (y - y1) - (x - x1) * (y2 - y1)
            if (
                abs(cross) <= _EPS * (abs(x2 - x1) + abs(y2 - y1) + 1.0)
                and min(x1, x2) - _EPS <= x <= max(x1, x2) + _EPS
            ):
                return 2
            if y1 != y2 and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        x1, y1 = x2, y2
    return 1 if inside else 0


_EPS = 1e-12


_PACK_LIMIT = 0xFFFF  # leaf numbers below it fit 16 bits (0 stands for the padding -1)


def _pack(sets: np.ndarray) -> np.ndarray:
    """Rows of up to four leaf numbers (-1 padded, sorted) as one int64 each: (n + 1) in
    16 bits per column, so equal rows have equal keys and key order is row order."""
    out = np.zeros(len(sets), dtype=np.int64)
    for col in range(sets.shape[1]):
        out |= (sets[:, col].astype(np.int64) + 1) << (16 * (sets.shape[1] - 1 - col))
    return out


def _unpack(keys: np.ndarray, k: int) -> np.ndarray:
    """The rows `_pack` made, back as an (n, k) int32 array."""
    out = np.empty((len(keys), k), dtype=np.int32)
    for col in range(k):
        out[:, col] = ((keys >> (16 * (k - 1 - col))) & 0xFFFF).astype(np.int32) - 1
    return out


def _release_freed_memory() -> None:
    """Give the C heap's freed pages back to the system (glibc `malloc_trim`): the build's
    temporary GEOS boxes and JSON leave ≈ 60 MB free but held inside the process, which
    its RSS (and the server's memory budget) counts. Nothing elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.malloc_trim(0)


def _deepest(hits: np.ndarray, ranks: np.ndarray) -> int:
    """Of the regions `hits` (indices) with `ranks`, the deepest; between equal ranks the
    lowest index, so a point on a shared edge gets the same grid on every path."""
    top = ranks.max()
    return int(hits[ranks == top].min())


_lock = threading.Lock()
_build_lock = threading.Lock()  # held while an index is built (never inside `_lock`)
_cache: dict = {"index": None, "token": None, "checked": 0.0}
# (index, checked) as one tuple: a single call reads it without the lock (one dict read is
# atomic); writers update it with `_cache` under the lock.
_fresh: list = [(None, 0.0)]


def current_token() -> str | None:
    return IndexVersion.objects.filter(name=VERSION_NAME).values_list("token", flat=True).first()


def bump() -> None:
    """Grid boundaries changed: every process rebuilds its index before its next lookup."""
    token = uuid.uuid4().hex
    updated = IndexVersion.objects.filter(name=VERSION_NAME).update(token=token)
    if not updated:
        IndexVersion.objects.create(name=VERSION_NAME, token=token)
    drop_local()
    # If the write is rolled back, the index built meanwhile may hold rows that never were.
    transaction.on_commit(drop_local)


def drop_local() -> None:
    with _lock:
        _cache.update(index=None, token=None, checked=0.0)
        _fresh[0] = (None, 0.0)


def build_index() -> GridIndex:
    """The index of every region with a boundary, read in chunks: each boundary comes as
    GeoJSON text and becomes a GEOS geometry as it arrives, so the parsed JSON of the
    whole county (≈ 140 MB of Python lists and floats at 47,000 regions) is never made
    (decision 0084)."""
    names = dict(
        Region.objects.filter(level__gte=Level.COUNTY, level__lte=Level.VILLAGE).values_list(
            "code", "name"
        )
    )
    rows_qs = Region.objects.filter(boundary__isnull=False, level__gte=Level.COUNTY).values_list(
        "code", "name", "level", "grid_level", Cast("boundary", TextField())
    )

    def rows() -> Iterable[tuple[str, str, int, int | None, str]]:
        for row in rows_qs.iterator(chunk_size=2000):
            names[row[0]] = row[1]
            yield row  # type: ignore[misc]

    return GridIndex(rows(), names)


def get_index(force_check: bool = False) -> GridIndex:
    now = _monotonic()
    if not force_check:
        index, checked = _fresh[0]
        if index is not None and now - checked < CHECK_SECONDS:
            return index
    with _lock:
        index, token, checked = _cache["index"], _cache["token"], _cache["checked"]
    if index is not None and not force_check and now - checked < CHECK_SECONDS:
        return index
    stored = current_token()
    if index is not None and stored == token:
        with _lock:
            _cache["checked"] = now
            _fresh[0] = (index, now)
        return index
    # One build at a time in a process: a server worker runs requests in threads, and
    # the first located requests after a start (or a bump) would each build their own
    # index at once — several times the memory and the CPU (decision 0084). The others
    # wait and take the index the first one built from the same token.
    with _build_lock:
        with _lock:
            index, token = _cache["index"], _cache["token"]
        if index is None or token != stored:
            index = build_index()
        now = _monotonic()
        with _lock:
            _cache.update(index=index, token=stored, checked=now)
            _fresh[0] = (index, now)
    return index


_monotonic = time.monotonic


def locate(lon: float, lat: float, crs: str = geo.WGS84) -> Location:
    """The grid, village, street and county of a point given in `crs` (wgs84 or gcj02).

    Raises geo.GeoError (Chinese message) for bad coordinates; a point outside every
    polygon is an answer (`found` is False, `message` says why), not an error.
    """
    x, y = geo.to_wgs84(lon, lat, crs)
    return get_index().locate(x, y)


def locate_many(points: Sequence[tuple[float, float]], crs: str = geo.WGS84) -> list[Location]:
    """Many points at once (vectorised STRtree query)."""
    crs = geo.check_crs(crs)
    xy = np.array([geo.to_wgs84(x, y, crs) for x, y in points], dtype=float).reshape(-1, 2)
    return get_index().locate_many(xy)


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def _region_changed(sender, instance: Region, **kwargs) -> None:
    # Single saves (admin, tests) of anything with a boundary; bulk paths call bump().
    if instance.boundary is not None:
        bump()
