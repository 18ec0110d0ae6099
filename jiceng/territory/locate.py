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

import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import shapely
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiceng.lib import geo
from jiceng.lib.codes import LEVEL_CODE_LENGTH, parent_code
from jiceng.territory.models import IndexVersion, Level, Region

VERSION_NAME = "grids"
CHECK_SECONDS = 1.0
NOT_FOUND = "该位置不在任何网格内"
NOT_IN_TERRITORY = "该位置不在本系统管辖的任何区域内"


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


def parent_of(code: str) -> str | None:
    return parent_code(code)


class GridIndex:
    """An STRtree of region polygons; pure (built from rows, no database access)."""

    def __init__(
        self, rows: Iterable[tuple[str, str, int, int | None, dict]], names: dict[str, str]
    ):
        codes_: list[str] = []
        geoms = []
        ranks = []
        for code, _name, level, grid_level, boundary in rows:
            try:
                geom = shapely.geometry.shape(boundary)
            except Exception:  # a broken stored boundary must not stop every lookup
                continue
            if geom.is_empty:
                continue
            codes_.append(code)
            geoms.append(geom)
            # Deeper wins; grid levels order grids among themselves.
            ranks.append(level * 10 + (grid_level or 0))
        self.codes = np.array(codes_, dtype=object)
        self.ranks = np.array(ranks, dtype=np.int32)
        self.geoms = np.array(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        shapely.prepare(self.geoms)
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

    def __len__(self) -> int:
        return len(self.codes)

    def _location(self, lon: float, lat: float, idx: int | None) -> Location:
        if idx is None:
            return Location(lon, lat, message=NOT_IN_TERRITORY)
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
                c = code[:length]
                if c in self.names:
                    parts[f"{key}_code"] = c
                    parts[f"{key}_name"] = self.names[c]
        message = "" if "grid_code" in parts else NOT_FOUND
        return Location(lon, lat, message=message, **parts)

    def locate(self, lon: float, lat: float) -> Location:
        """One WGS-84 point."""
        point = shapely.Point(lon, lat)
        leaves = self.leaf_tree.query(point, predicate="intersects")
        if len(leaves) == 1:
            return self._location(lon, lat, int(self.leaf_ids[leaves[0]]))
        hits = self.tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return self._location(lon, lat, None)
        best = hits[np.argmax(self.ranks[hits])] if len(hits) > 1 else hits[0]
        return self._location(lon, lat, int(best))

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
            # Sort by point then rank; the last hit of each point is its deepest region.
            order = np.lexsort((self.ranks[gidx], pidx))
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


_lock = threading.Lock()
_cache: dict = {"index": None, "token": None, "checked": 0.0}


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


def build_index() -> GridIndex:
    rows_qs = Region.objects.filter(boundary__isnull=False, level__gte=Level.COUNTY).values_list(
        "code", "name", "level", "grid_level", "boundary"
    )
    names = dict(
        Region.objects.filter(level__gte=Level.COUNTY, level__lte=Level.VILLAGE).values_list(
            "code", "name"
        )
    )
    rows = list(rows_qs)
    names.update({r[0]: r[1] for r in rows})
    return GridIndex(rows, names)  # type: ignore[arg-type]


def get_index(force_check: bool = False) -> GridIndex:
    now = time.monotonic()
    with _lock:
        index, token, checked = _cache["index"], _cache["token"], _cache["checked"]
    if index is not None and not force_check and now - checked < CHECK_SECONDS:
        return index
    stored = current_token()
    if index is not None and stored == token:
        with _lock:
            _cache["checked"] = now
        return index
    index = build_index()
    with _lock:
        _cache.update(index=index, token=stored, checked=now)
    return index


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
