"""The catalogue: versioned publication and the Excel round trip (whole or nothing)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from jiceng.servicehall import catalogue, excel
from jiceng.servicehall.demo_items import guides
from jiceng.servicehall.models import ItemVersion, ServiceItem
from jiceng.servicehall.schemas import GuideIn
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _guide(**kw) -> GuideIn:
    g = guides()[0].model_dump()
    g.update(kw)
    return GuideIn(**g)


def test_a_change_publishes_a_new_version_and_an_unchanged_guide_publishes_nothing():
    v1, created = catalogue.publish(_guide())
    assert created and v1.version == 1
    same, created = catalogue.publish(_guide())
    assert not created and same.pk == v1.pk
    v2, created = catalogue.publish(_guide(promised_days=3))
    assert created and v2.version == 2
    item = ServiceItem.objects.get(code=v1.item.code)
    assert item.current_id == v2.pk
    # the old version is kept unchanged for the applications made under it
    assert ItemVersion.objects.get(pk=v1.pk).promised_days == 5


@pytest.mark.parametrize(
    "change, message",
    [
        ({"promised_days": 30, "legal_days": 20}, "承诺时限不得长于法定时限"),
        ({"flow": ["county", "village"]}, "自下而上"),
        ({"accept_levels": ["county"], "flow": ["village", "town"]}, "受理层级必须在流转层级之中"),
        ({"may_extend": True, "extension_days": 0}, "最长延期"),
    ],
)
def test_a_guide_that_breaks_a_rule_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        _guide(**change)


def test_the_demo_catalogue_compresses_time_limits():
    v, _ = catalogue.publish(_guide(legal_days=20, promised_days=5))
    assert v.compression == pytest.approx(0.75)


def _roundtrip_workbook() -> bytes:
    for g in guides()[:3]:
        catalogue.publish(g)
    return excel.export_catalogue()


def test_the_exported_workbook_imports_back_without_new_versions():
    data = _roundtrip_workbook()
    res = excel.import_catalogue(data)
    assert res.items == 3 and res.published == 0 and res.unchanged == 3


def _edit(data: bytes, sheet: str, cell: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_bad_workbook_is_refused_whole_with_every_error_by_row():
    data = _roundtrip_workbook()
    data = _edit(data, "事项", "K2", "十五")  # 法定时限 not a number
    data = _edit(data, "事项", "L3", 99)  # promised > legal on row 3
    data = _edit(data, "材料", "A4", "NOPE-1")  # a material of an unknown item
    data = _edit(data, "事项", "B4", "高龄补贴（新名称）")  # a valid change on row 4
    before = ItemVersion.objects.count()
    with pytest.raises(excel.ImportRefused) as exc:
        excel.import_catalogue(data)
    errors = exc.value.errors
    assert any("「事项」第 2 行" in e and "法定时限" in e and "整数" in e for e in errors)
    assert any("「事项」第 3 行" in e and "承诺时限不得长于法定时限" in e for e in errors)
    assert any("「材料」第 4 行" in e and "NOPE-1" in e for e in errors)
    # nothing published: not even the valid change of row 4
    assert ItemVersion.objects.count() == before


def test_a_file_that_is_not_a_workbook_is_refused_in_chinese():
    with pytest.raises(excel.ImportRefused, match="不是 Excel 工作簿"):
        excel.parse(b"code,name\n1,2\n")
    wb = Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(excel.ImportRefused, match="缺少工作表「事项」"):
        excel.parse(buf.getvalue())


def test_the_export_never_hands_a_spreadsheet_a_formula():
    catalogue.publish(_guide(conditions='=HYPERLINK("http://evil","点我")', fees="@SUM(1)"))
    wb = load_workbook(io.BytesIO(excel.export_catalogue()))
    ws = wb["事项"]
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    assert row[header.index("办理条件")].startswith("'=")
    assert row[header.index("收费依据及标准")] == "'@SUM(1)"
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def test_only_a_district_administrator_imports_the_catalogue(users):
    data = _roundtrip_workbook()
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client_for(users.street).post(
        "/api/v1/servicehall/catalogue/import",
        {"file": SimpleUploadedFile("c.xlsx", data)},
    )
    assert refused.status_code == 403
    ok = client_for(users.district).post(
        "/api/v1/servicehall/catalogue/import",
        {"file": SimpleUploadedFile("c.xlsx", data)},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["unchanged"] == 3
    bad = client_for(users.district).post(
        "/api/v1/servicehall/catalogue/import",
        {"file": SimpleUploadedFile("c.xlsx", _edit(data, "事项", "K2", "x"))},
    )
    assert bad.status_code == 400
    body = bad.json()["error"]
    assert body["code"] == "import_refused" and "第 2 行" in body["details"][0]
