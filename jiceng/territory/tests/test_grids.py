"""Grid boundaries in and out: `jiceng export-grids` / `jiceng import-grids`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command

from jiceng.lib import geo
from jiceng.territory.grids import import_grids
from jiceng.territory.models import GridStaff, ImportRun, Level, Region


def export(tmp_path, under="610921", crs="wgs84"):
    path = tmp_path / f"grids-{crs}.geojson"
    call_command("export_grids", under=under, crs=crs, output=str(path), stderr=StringIO())
    return path, json.loads(path.read_text("utf-8"))


def snapshot():
    return {
        r.code: (r.name, r.kind, r.grid_level, r.households, shapely.geometry.shape(r.boundary))
        for r in Region.objects.filter(level__gte=Level.GRID)
    }


def drop_grids():
    GridStaff.objects.all().delete()
    for length in (21, 18, 15):  # children first (PROTECT)
        Region.objects.filter(level__gte=Level.GRID, code__regex=rf"^\d{{{length}}}$").delete()
    assert not Region.objects.filter(level__gte=Level.GRID).exists()


def import_file(path, crs="wgs84", dry_run=False):
    out = StringIO()
    call_command("import_grids", str(path), crs=crs, dry_run=dry_run, stdout=out, stderr=StringIO())
    return out.getvalue()


def assert_same(before, after, tolerance):
    assert before.keys() == after.keys()
    for code, (name, kind, level, hh, geom) in before.items():
        name2, kind2, level2, hh2, geom2 = after[code]
        assert (name, kind, level, hh) == (name2, kind2, level2, hh2)
        a = shapely.get_coordinates(geom)
        b = shapely.get_coordinates(geom2)
        assert a.shape == b.shape and abs(a - b).max() <= tolerance, code


@pytest.mark.django_db
def test_an_exported_file_imports_into_an_empty_territory_unchanged(territory, tmp_path):
    before = snapshot()
    path, data = export(tmp_path)
    assert {f["properties"]["code"] for f in data["features"]} == set(before)
    feature = next(f for f in data["features"] if f["properties"]["code"] == territory.grid3a.code)
    assert feature["properties"]["name"] == "城关社区第1网格"
    assert feature["properties"]["kind"] == "comprehensive"
    drop_grids()
    out = import_file(path)
    assert f"新增 {len(before)}" in out
    assert_same(before, snapshot(), 1e-9)
    assert Region.objects.get(code=territory.grid3a.code).parent.code == territory.grid2.code
    # And again: nothing changes.
    assert f"未变 {len(before)}" in import_file(path)


@pytest.mark.django_db
def test_a_gcj02_file_is_converted_to_wgs84_on_import(territory, tmp_path):
    before = snapshot()
    path, data = export(tmp_path, crs="gcj02")
    ring = data["features"][0]["geometry"]["coordinates"][0]
    first = before[data["features"][0]["properties"]["code"]][4]
    assert abs(ring[0][0] - shapely.get_coordinates(first)[0][0]) > 1e-3  # really moved
    drop_grids()
    import_file(path, crs="gcj02")
    assert_same(before, snapshot(), 2e-6)  # coord-convert's gcj→wgs iterates to 1e-6°


def feature(code, name, geom, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **props},
        "geometry": geo.to_geojson(geom),
    }


def fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "features, message",
    [
        (
            [
                feature(
                    "610921001002001",
                    "五一村一级网格",
                    shapely.Polygon(
                        [(108.45, 32.80), (108.50, 32.85), (108.50, 32.80), (108.45, 32.85)]
                    ),
                )
            ],
            "多边形无效：Self-intersection",
        ),
        (
            [feature("610921009009001", "无名村网格", shapely.box(108.45, 32.80, 108.46, 32.81))],
            "村/社区 610921009009 不存在",
        ),
        (
            [
                feature(
                    "610921001002001", "五一村一级网格", shapely.box(108.47, 32.80, 108.53, 32.85)
                )
            ],
            "在上级 610921001002 的边界之外",
        ),
        (
            [
                feature(
                    "610921001002001", "五一村一级网格", shapely.box(108.45, 32.80, 108.50, 32.85)
                ),
                feature("610921001002001001", "甲", shapely.box(108.45, 32.80, 108.48, 32.85)),
                feature("610921001002001002", "乙", shapely.box(108.47, 32.80, 108.50, 32.85)),
            ],
            "与同级网格 610921001002001001 重叠",
        ),
        (
            [feature("6109210010020", "短码", shapely.box(108.45, 32.80, 108.46, 32.81))],
            "每级加 3 位",
        ),
        ([feature("610921001002001", "", shapely.box(108.45, 32.80, 108.46, 32.81))], "缺少 name"),
        (
            [
                feature(
                    "610921001002001", "甲", shapely.box(108.45, 32.80, 108.46, 32.81), kind="odd"
                )
            ],
            "kind",
        ),
    ],
    ids=[
        "invalid polygon",
        "no village",
        "outside village",
        "sibling overlap",
        "short code",
        "no name",
        "bad kind",
    ],
)
def test_bad_grids_are_reported_and_nothing_is_imported(territory, tmp_path, features, message):
    before = Region.objects.count()
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(fc(*features)), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="未导入任何网格"):
        call_command("import_grids", str(path), stdout=StringIO(), stderr=err)
    assert message in err.getvalue()
    assert Region.objects.count() == before
    run = ImportRun.objects.get(kind="grids")
    assert not run.ok and message in run.errors[0]["message"]


@pytest.mark.django_db
def test_a_dry_run_checks_but_writes_nothing(territory, tmp_path):
    path = tmp_path / "new.geojson"
    path.write_text(
        json.dumps(
            fc(
                feature(
                    "610921001002001",
                    "五一村一级网格",
                    shapely.box(108.45, 32.80, 108.50, 32.85),
                    households=400,
                )
            )
        ),
        encoding="utf-8",
    )
    assert "检查通过（未写入）：新增 1" in import_file(path, dry_run=True)
    assert not Region.objects.filter(code="610921001002001").exists()
    import_file(path)
    grid = Region.objects.get(code="610921001002001")
    assert (grid.grid_level, grid.households, grid.parent.code) == (1, 400, "610921001002")


@pytest.mark.django_db
def test_not_json_is_a_clear_error(territory):
    from jiceng.territory.grids import GridImportError

    with pytest.raises(GridImportError, match="不是有效的 JSON"):
        import_grids("{not json")
    with pytest.raises(GridImportError, match="FeatureCollection"):
        import_grids({"type": "Feature"})
