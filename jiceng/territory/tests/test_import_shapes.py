"""Imports shape-checked, whole or nothing, with numbered Chinese errors; files as Excel and
WPS on Chinese Windows write them (issue 9 items 9–11)."""

from __future__ import annotations

import codecs
import io
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command

from jiceng.lib import geo
from jiceng.territory.models import ImportRun, Region
from jiceng.testing import client_for

SMALL = Path(__file__).parent / "fixtures" / "divisions-small"
BOX = geo.to_geojson(shapely.box(108.45, 32.80, 108.50, 32.85))


def good_feature(**props) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": "610921001002001", "name": "五一村一级网格", **props},
        "geometry": BOX,
    }


BAD_SHAPES = [
    ({"type": "FeatureCollection", "features": [1]}, "要素必须是 JSON 对象"),
    ({"type": "FeatureCollection", "features": ["x", None]}, "要素必须是 JSON 对象"),
    ({"type": "FeatureCollection", "features": {"a": 1}}, "features 必须是"),
    ({"type": "FeatureCollection", "features": 3}, "features 必须是"),
    ({"type": "FeatureCollection", "features": [{"properties": [1]}]}, "properties 必须是"),
    ({"type": "FeatureCollection", "features": [good_feature(code=[1])]}, "code"),
    ({"type": "FeatureCollection", "features": [good_feature(name={"a": 1})]}, "name"),
    ({"type": "FeatureCollection", "features": [good_feature(kind=["x"])]}, "kind"),
    ({"type": "FeatureCollection", "features": [good_feature(code=6.10921001002001e14)]}, "小数"),
    ({"type": "FeatureCollection", "features": [good_feature(households=[1])]}, "整数"),
    ({"type": "FeatureCollection", "features": [good_feature(households=1.5)]}, "整数"),
    ({"type": "FeatureCollection", "features": [good_feature(households=10**30)]}, "整数"),
    (
        {"type": "FeatureCollection", "features": [{**good_feature(), "geometry": [1, 2]}]},
        "几何",
    ),
    (
        {
            "type": "FeatureCollection",
            "features": [{**good_feature(), "geometry": {"type": "Polygon", "coordinates": "abc"}}],
        },
        "几何坐标",
    ),
    (
        {
            "type": "FeatureCollection",
            "features": [
                {
                    **good_feature(),
                    "geometry": geo.to_geojson(shapely.box(500, 32.8, 501, 32.9)),
                }
            ],
        },
        "超出",
    ),
    ([1, 2], "FeatureCollection"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), BAD_SHAPES)
def test_import_grids_refuses_every_bad_shape_with_a_numbered_reason(
    territory, tmp_path, data, message
):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = Region.objects.count()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_grids", str(path), stdout=StringIO(), stderr=err)
    assert message in err.getvalue()
    assert Region.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), BAD_SHAPES[:3] + BAD_SHAPES[4:6])
def test_the_import_page_answers_bad_shapes_with_a_page_not_a_500(users, territory, data, message):
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "bad.geojson"
    r = client_for(users.district).post(
        "/territory/imports/", {"what": "grids", "geojson": upload}, follow=True
    )
    assert r.status_code == 200
    assert "未导入任何网格" in r.content.decode()
    assert not Region.objects.filter(code="610921001002001").exists()


@pytest.mark.django_db
def test_nan_and_deep_nesting_are_refused(territory, tmp_path):
    from jiceng.territory.grids import GridImportError, import_grids

    text = json.dumps({"type": "FeatureCollection", "features": [good_feature()]})
    with pytest.raises(GridImportError, match="NaN"):
        import_grids(text.replace("108.45", "NaN", 1))
    with pytest.raises(GridImportError, match="嵌套"):
        import_grids("[" * 100_000 + "]" * 100_000)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_a_grids_file_in_any_windows_encoding_imports(territory, tmp_path, encoding):
    path = tmp_path / "g.geojson"
    path.write_bytes(
        json.dumps(
            {"type": "FeatureCollection", "features": [good_feature()]}, ensure_ascii=False
        ).encode(encoding)
    )
    call_command("import_grids", str(path), stdout=StringIO(), stderr=StringIO())
    assert Region.objects.get(code="610921001002001").name == "五一村一级网格"


# ---- divisions: encodings and number cells


def _copy(tmp_path: Path, encoding: str) -> Path:
    d = tmp_path / encoding
    shutil.copytree(SMALL, d)
    for f in d.glob("*.csv"):
        text = f.read_text(encoding="utf-8")
        if encoding == "utf-8-sig":
            f.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
        else:
            f.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return d


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_divisions_in_every_encoding_excel_writes_import_the_same(tmp_path, encoding):
    out = StringIO()
    call_command("import_divisions", str(_copy(tmp_path, encoding)), under="610921", stdout=out)
    assert Region.objects.get(code="610921100001").name == "南街社区"
    assert Region.objects.get(code="610921").name == "汉阴县"


@pytest.mark.django_db
def test_a_file_that_is_no_known_encoding_is_refused_in_chinese(tmp_path):
    d = _copy(tmp_path, "utf-8-sig")
    (d / "streets.csv").write_bytes(b"code,name\n\xff\xfe\xfa\x80\x81\n")
    (d / "streets.csv").write_bytes(b"code,name,areaCode\n" + bytes(range(128, 256)) * 4)
    err = StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_divisions", str(d), under="610921", stdout=StringIO(), stderr=err)
    text = err.getvalue()
    assert "streets.csv" in text and ("编码" in text or "无法识别" in text)
    assert "codec" not in text and "第 0 行" not in text
    assert not ImportRun.objects.filter(ok=True).exists()


@pytest.mark.django_db
def test_a_code_from_an_excel_number_cell_is_refused_with_the_text_format_hint(tmp_path):
    d = _copy(tmp_path, "utf-8-sig")
    villages = d / "villages-61.csv"
    villages.write_text(
        "code,name,streetCode,provinceCode,cityCode,areaCode\n"
        "6.10921E+11,南街社区居委会,610921100,61,6109,610921\n",
        encoding="utf-8-sig",
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_divisions", str(d), under="610921", stdout=StringIO(), stderr=err)
    assert "文本" in err.getvalue() and "villages-61.csv" in err.getvalue()
