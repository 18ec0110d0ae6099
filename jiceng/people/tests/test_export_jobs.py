"""Exports (issue 11 item 6, issue 17 item 8): CSV streamed, Excel as a job whose page shows
rows done / total and then downloads; the rows are those of `privacy.export_row`, masked
for every role that does not see full data, and a refused role gets no file."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from jiceng.accounts.models import AccessLog
from jiceng.lib import exports, idcard
from jiceng.people import exporting, privacy, services
from jiceng.people.models import Resident
from jiceng.testing import client_for


def xlsx_export(client, region_url: str, reason: str | None = None) -> bytes:
    """Start an Excel export as the page does, follow its job and download the file."""
    url = region_url + "export.xlsx"
    resp = client.post(url, {"reason": reason}) if reason else client.get(url)
    assert resp.status_code == 302, resp.status_code
    job = resp["Location"]
    assert job.startswith("/people/exports/")
    page = client.get(job)
    assert page.status_code == 200
    for _ in range(200):
        state = client.get(job + "state").json()
        if state["state"] != "running":
            break
        time.sleep(0.05)
    assert state["state"] == "done", state
    assert state["done"] == state["total"]
    resp = client.get(state["download"])
    assert resp.status_code == 200
    assert resp["Content-Type"] == exporting.XLSX_TYPE
    return b"".join(resp.streaming_content)


def sheet_rows(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).active
    return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def tagged(users, people):
    services.add_tag(users.district, people.r1, "community_correction", {"correction_type": "缓刑", "start": "2025-09-01"})  # fmt: skip
    services.add_tag(users.district, people.r1, "disabled", {"type": "肢体", "grade": "二级"})
    ended = services.add_tag(users.district, people.spouse, "disabled", {"type": "视力", "grade": "一级"})  # fmt: skip
    services.end_tag(users.district, ended)
    return people


@pytest.mark.django_db
@pytest.mark.parametrize("full", [False, True])
def test_the_export_rows_are_those_of_privacy_export_row(users, territory, tagged, full):
    """The fast path (values in chunks, tags per chunk) gives the reference's cells."""
    qs = services.residents_for(users.district).filter(grid_code__under=territory.county.code)
    reference = [
        privacy.export_row(r, full)
        for r in qs.select_related("household")
        .prefetch_related("tags__type")
        .order_by("grid_code", "household_id", "id")
    ]
    fast = [row for chunk in exporting.row_chunks(qs, full, exporting.labels()) for row in chunk]
    assert fast == reference
    assert len(fast) == 4
    r1 = next(row for row in fast if row[2] == "张秀兰")
    assert r1[11] == ("残疾人、社区矫正对象" if full else "残疾人、特殊人群")
    assert next(row for row in fast if row[2] == "王德福")[11] == ""  # an ended tag is gone


@pytest.mark.django_db
def test_a_masked_role_gets_masked_ids_in_both_files_and_nothing_is_logged(
    users, territory, tagged
):
    c = client_for(users.street)
    region = f"/people/overview/{territory.town1.code}/"
    text = b"".join(c.get(region + "export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    xrows = sheet_rows(xlsx_export(c, region))
    for got in (rows, xrows):
        assert got[0] == exporting.header()
        ids = [row[7] for row in got[1:]]
        assert idcard.mask(tagged.r1.id_number) in ids
        assert tagged.r1.id_number not in ids and tagged.r1.phone not in [r[8] for r in got[1:]]
        assert "残疾人、特殊人群" in [row[11] for row in got[1:]]
    assert [r[:3] for r in rows[1:]] == [[str(v) for v in r[:3]] for r in xrows[1:]]
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_a_full_excel_export_needs_a_reason_and_logs_every_person(users, territory, tagged):
    c = client_for(users.grid_worker)
    region = f"/people/overview/{territory.grid3a.code}/"
    rows = sheet_rows(xlsx_export(c, region, reason="年度人口核查"))
    assert tagged.r1.id_number in [r[7] for r in rows]
    logged = AccessLog.objects.get(channel="export", viewer=users.grid_worker)
    assert {s.subject_id for s in logged.subjects.all()} == {
        str(tagged.r1.id),
        str(tagged.spouse.id),
    }
    assert logged.reason == "年度人口核查"
    # a reason too short: no job, back to the page with the error
    resp = c.post(region + "export.xlsx", {"reason": "查"})
    assert resp.status_code == 302 and "/exports/" not in resp["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["auditor", "resident", "department", "no_scope"])
def test_a_refused_role_gets_no_file(users, territory, people, settings, tmp_path, role):
    settings.DATA_DIR = tmp_path
    c = client_for(getattr(users, role))
    region = f"/people/overview/{territory.grid3a.code}/"
    for url in ("export.csv", "export.xlsx"):
        assert c.get(region + url).status_code in (403, 404), (role, url)
    assert c.post(region + "export.xlsx", {"reason": "年度人口核查"}).status_code in (403, 404)
    assert not list((tmp_path / "exports").glob("*")) if (tmp_path / "exports").exists() else True


@pytest.mark.django_db
def test_a_dispatcher_may_not_export_in_full(users, territory, people, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    c = client_for(users.street)
    resp = c.post(
        f"/people/overview/{territory.grid3a.code}/export.xlsx", {"reason": "年度人口核查"}
    )
    assert resp.status_code == 403
    assert not (tmp_path / "exports").exists() or not list((tmp_path / "exports").iterdir())
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_a_job_is_its_owners_alone(users, territory, people):
    region = f"/people/overview/{territory.grid3a.code}/"
    job = client_for(users.grid_worker).get(region + "export.xlsx")["Location"]
    other = client_for(users.community)  # may export the same grid, but not this job
    for url in (job, job + "state", job + "file"):
        assert other.get(url).status_code == 404, url
    assert client_for(users.auditor).get(job + "file").status_code == 403
    assert (
        client_for(users.grid_worker).get("/people/exports/..%2F..%2Fetc/state").status_code == 404
    )


@pytest.mark.django_db
def test_the_job_page_shows_progress_then_the_download(users, territory, people, settings):
    c = client_for(users.grid_worker)
    job = c.get(f"/people/overview/{territory.grid3a.code}/export.xlsx")["Location"]
    body = c.get(job).content.decode()
    assert 'id="export-progress"' in body and "people/export.js" in body
    assert "已完成：2 人" in body and job + "file" in body


def test_the_xlsx_stream_guards_texts_and_reads_back(tmp_path):
    path = tmp_path / "x.xlsx"
    evil = '=HYPERLINK("http://evil.example/","点击")'
    with exports.XlsxStream(path, sheet="居民") as x:
        x.writerow(["姓名", "年龄", "党员", "备注"])
        x.writerow([evil, 42, True, "a<b & c>\x01d"])
        x.writerow(["@SUM(1)", 3.5, None, ""])
    ws = load_workbook(path).active
    assert ws.title == "居民"
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["姓名", "年龄", "党员", "备注"],
        [evil, 42, True, "a<b & c>d"],
        ["@SUM(1)", 3.5, None, None],
    ]
    assert exports.column_letter(0) == "A" and exports.column_letter(27) == "AB"


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_excel_file_is_written_by_a_thread(users, territory, people):
    """The path a server takes: the request returns at once, a thread writes the file."""
    assert Resident.objects.count() == 5
    c = client_for(users.grid_worker)
    data = xlsx_export(c, f"/people/overview/{territory.grid3a.code}/")
    assert len(sheet_rows(data)) == 3


@pytest.mark.django_db
def test_more_residents_than_one_excel_sheet_holds_is_refused_before_anything_starts(
    users, territory, tagged, settings, tmp_path, monkeypatch
):
    """A region with more residents than a sheet's 1,048,576 rows (here: the limit set to
    2 for the grid's residents) gets a clear message, no job, no file, no access-log rows."""
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    c = client_for(users.grid_worker)
    region = f"/people/overview/{territory.grid3a.code}/"
    resp = c.post(region + "export.xlsx", {"reason": "年度人口核查"}, follow=True)
    body = resp.content.decode()
    assert "超过 Excel 单个工作表的上限" in body and "导出 CSV" in body
    assert not (tmp_path / "exports").exists() or not list((tmp_path / "exports").iterdir())
    assert not AccessLog.objects.exists()
    # the CSV of the same region still streams
    assert c.get(region + "export.csv").status_code == 200
