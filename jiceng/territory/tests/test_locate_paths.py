"""Point → grid: the single call (raster, then trees) and the batch path give the same
region for every point — inside a grid, on the shared edge of two grids, at a corner
shared by four, outside every grid. Pure: an index built from rows, no database."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from jiceng.territory.locate import GridIndex

VILLAGE = "610921100001"  # 12 digits: a village
N = 12  # a village cut into N × N square grids
X0, Y0, STEP = 108.0, 32.0, 0.01


def _square(x: float, y: float, w: float, dense: bool = False) -> dict:
    ring = [[x, y], [x + w, y], [x + w, y + w], [x, y + w], [x, y]]
    if dense:  # many vertices: the raster's edge cells test these with GEOS, not Python
        ring = [list(c) for c in shapely.segmentize(shapely.LinearRing(ring), w / 16).coords]
    return {"type": "Polygon", "coordinates": [ring]}


def _index(dense: bool = False) -> GridIndex:
    rows: list[tuple[str, str, int, int | None, dict]] = [
        (VILLAGE, "村", 5, None, _square(X0, Y0, N * STEP))
    ]
    for i in range(N):
        for j in range(N):
            code = f"{VILLAGE}{i * N + j + 1:03d}"
            box = _square(X0 + i * STEP, Y0 + j * STEP, STEP, dense)
            rows.append((code, f"网格{code[-3:]}", 6, 3, box))
    names = {r[0]: r[1] for r in rows}
    return GridIndex(rows, names)


def _points() -> list[tuple[float, float]]:
    rng = np.random.default_rng(7)
    pts = [tuple(p) for p in rng.uniform([X0, Y0], [X0 + N * STEP, Y0 + N * STEP], (2000, 2))]
    for k in range(N + 1):  # on shared edges (x = const lines, y = const lines) and corners
        for f in (0.25, 0.5, 0.77):
            pts.append((X0 + k * STEP, Y0 + f * STEP))
            pts.append((X0 + f * STEP, Y0 + k * STEP))
        pts.append((X0 + k * STEP, Y0 + k * STEP))
    pts += [(X0 - 0.5, Y0), (X0 + 5, Y0 + 5)]  # outside
    return pts


@pytest.mark.parametrize("dense", [False, True])
def test_single_and_batch_give_the_same_grid_for_every_point(dense):
    index = _index(dense)
    assert index.raster_share > 0.3  # the raster answers most cells without geometry
    pts = _points()
    batch = index.locate_many(np.array(pts))
    for (x, y), b in zip(pts, batch, strict=True):
        one = index.locate(x, y)
        assert (one.grid_code, one.village_code, one.message) == (
            b.grid_code,
            b.village_code,
            b.message,
        ), (x, y)


@pytest.mark.parametrize(
    ("x", "y", "grid"),
    [
        # inside grid (i=0, j=0) and (i=1, j=0)
        (X0 + 0.5 * STEP, Y0 + 0.5 * STEP, 1),
        (X0 + 1.5 * STEP, Y0 + 0.5 * STEP, N + 1),
        # on the edge shared by (0, 0) and (1, 0): the lower index, the same on both paths
        (X0 + STEP, Y0 + 0.5 * STEP, 1),
        # the corner shared by four grids: the lowest of the four
        (X0 + STEP, Y0 + STEP, 1),
    ],
)
def test_a_point_gets_its_grid_and_a_shared_edge_the_lower_one(x, y, grid):
    index = _index()
    want = f"{VILLAGE}{grid:03d}"
    assert index.locate(x, y).grid_code == want
    assert index.locate_many(np.array([(x, y)]))[0].grid_code == want


def test_a_point_outside_says_so():
    loc = _index().locate(X0 - 1, Y0)
    assert not loc.found and loc.message


def test_an_answer_is_an_ordinary_frozen_location():
    """The single call fills a Location from cached field values (decision 0057): the object
    equals one built by the constructor, hashes like it and stays read-only; answers for the
    same region do not share state."""
    import dataclasses

    from jiceng.territory.locate import NOT_IN_TERRITORY, Location

    index = _index()
    a = index.locate(X0 + 0.5 * STEP, Y0 + 0.5 * STEP)
    b = index.locate(X0 + 0.6 * STEP, Y0 + 0.4 * STEP)
    fields = {f.name: getattr(a, f.name) for f in dataclasses.fields(Location)}
    assert a == Location(**fields) and hash(a) == hash(Location(**fields))
    assert a.grid_code == b.grid_code == f"{VILLAGE}001" and a.grid_name == "网格001"
    assert (a.lon, b.lon) == (X0 + 0.5 * STEP, X0 + 0.6 * STEP)
    assert a.found and a.as_dict()["found"] and a.village_name == "村"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.grid_code = "x"  # type: ignore[misc]
    out = index.locate(X0 - 1, Y0 - 1)
    assert not out.found and out.message == NOT_IN_TERRITORY and out.lon == X0 - 1


def test_threads_that_need_the_index_at_once_build_it_once(monkeypatch):
    """A server worker answers requests in threads: the first located requests after a start
    wait for one build instead of each building an index (decision 0084)."""
    import threading
    import time

    from jiceng.territory import locate

    built: list[int] = []
    index = _index()

    def slow_build():
        built.append(1)
        time.sleep(0.2)
        return index

    monkeypatch.setattr(locate, "current_token", lambda: "t1")
    monkeypatch.setattr(locate, "build_index", slow_build)
    locate.drop_local()
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(locate.get_index())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    locate.drop_local()
    assert len(built) == 1
    assert len(got) == 6 and all(g is index for g in got)
