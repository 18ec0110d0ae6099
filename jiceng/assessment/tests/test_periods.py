"""Publishing freezes a period; corrections append; metric edits are recorded."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from jiceng.assessment import facts
from jiceng.assessment.models import MetricChange, PeriodVersion
from jiceng.assessment.periods import Span, month_of, quarter_of, week_of
from jiceng.testing import client_for

from .conftest import at


def _api(c, method, url, body=None):
    fn = getattr(c, method)
    if body is None:
        return fn(url)
    return fn(url, data=json.dumps(body), content_type="application/json")


def _value(c, key, metric="ontime_close_rate"):
    r = c.get("/api/v1/assessment/rankings?dimension=street&kind=month&start=2026-10-01")
    assert r.status_code == 200, r.content
    row = next(x for x in r.json()["rows"] if x["key"] == key)
    return row["metrics"][metric]["value"], r.json()["version"]


def test_a_published_period_does_not_change_when_cases_move_later(users, territory, october):
    c = client_for(users.district)
    key = territory.town1.code
    assert _value(c, key) == (50.0, 0)
    r = _api(c, "post", "/api/v1/assessment/periods", {"kind": "month", "start": "2026-10-01"})
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    # later: the paused case is closed on time, its facts move
    october.paused.status = "closed"
    october.paused.closed_at = at(31, 10)
    october.paused.closed_tier = 3
    october.paused.closed_on_time = True
    october.paused.save()
    facts.refresh([october.paused.pk], at(31, 18))
    assert _value(c, key) == (50.0, 1)  # frozen
    w = c.get(f"/api/v1/assessment/working?dimension=street&key={key}&metric=ontime_close_rate"
              "&kind=month&start=2026-10-01").json()  # fmt: skip
    assert (w["numerator"], w["denominator"], w["version"]) == (1, 2, 1)
    # a second publication is refused; a correction appends version 2 with its reason
    r = _api(c, "post", "/api/v1/assessment/periods", {"kind": "month", "start": "2026-10-01"})
    assert r.status_code == 400 and "已发布" in r.json()["error"]["message"]
    r = _api(c, "post", f"/api/v1/assessment/periods/{pid}/corrections", {"reason": ""})
    assert r.status_code == 400
    r = _api(c, "post", f"/api/v1/assessment/periods/{pid}/corrections",
             {"reason": "缓办件已于月内办结，补录结案时间"})  # fmt: skip
    assert r.status_code == 201 and r.json()["version"] == 2
    assert _value(c, key) == (66.67, 2)  # 2 / (3 − 0)
    v1 = PeriodVersion.objects.get(period_id=pid, n=1)
    assert v1.rankings["street"][0]["metrics"]["ontime_close_rate"]["value"] == 50.0


def test_only_a_district_admin_publishes_and_not_an_open_period(users, october):
    r = _api(client_for(users.street), "post", "/api/v1/assessment/periods",
             {"kind": "month", "start": "2026-10-01"})  # fmt: skip
    assert r.status_code == 403
    r = _api(client_for(users.district), "post", "/api/v1/assessment/periods",
             {"kind": "range", "start": "2026-10-01", "end": "2099-01-01"})  # fmt: skip
    assert r.status_code == 400


def test_a_county_edits_weights_and_exclusions_and_every_change_is_recorded(
    users, territory, october
):
    c = client_for(users.district)
    key = territory.town1.code
    r = _api(c, "patch", "/api/v1/assessment/metrics/ontime_close_rate",
             {"exclusions": [], "reason": "涉诉案件也计入"})  # fmt: skip
    assert r.status_code == 200, r.content
    assert _value(c, key)[0] == 33.33  # 1 / (4 − 1): the litigation case counts again
    r = _api(c, "patch", "/api/v1/assessment/metrics/three_rates",
             {"components": {"response_rate": 30, "resolution_rate": 35,
                             "satisfaction_rate": 35}, "reason": "按市里新办法"})  # fmt: skip
    assert r.status_code == 200 and r.json()["version"] == 2
    r = _api(c, "patch", "/api/v1/assessment/metrics/three_rates",
             {"components": {"nonsense": 1}, "reason": "试试"})  # fmt: skip
    assert r.status_code == 400 and "未知的分项指标" in r.json()["error"]["message"]
    r = _api(client_for(users.street), "patch", "/api/v1/assessment/metrics/three_rates",
             {"exclusions": [], "reason": "x"})  # fmt: skip
    assert r.status_code == 403
    changes = c.get("/api/v1/assessment/metrics/ontime_close_rate/changes").json()
    assert changes[0]["before"]["exclusions"] and changes[0]["after"]["exclusions"] == []
    assert MetricChange.objects.count() == 2


def test_the_metric_page_saves_weights_through_the_form(users, october):
    c = client_for(users.district)
    r = c.post("/assessment/metrics/", {"code": "satisfaction_rate", "numerator.satisfied": "1",
               "numerator.basic": "0.6", "denominator.rated": "1", "exclusions": ["petition"],
               "reason": "基本满意按 0.6 计"})  # fmt: skip
    assert r.status_code == 302
    ch = MetricChange.objects.get()
    assert ch.after["numerator"]["basic"] == 0.6 and ch.after["exclusions"] == ["petition"]
    r = c.post("/assessment/metrics/", {"code": "satisfaction_rate", "numerator.satisfied": "x",
               "numerator.basic": "0.6", "denominator.rated": "1", "reason": "坏数字"})  # fmt: skip
    assert r.status_code == 302 and MetricChange.objects.count() == 1


def test_exports_workbook_and_pdf(users, october, django_capture_on_commit_callbacks, settings):
    settings.JICENG_EXPORT_INLINE = True  # the test's transaction is invisible to a thread
    from openpyxl import load_workbook

    c = client_for(users.district)
    # a unit whose name looks like a formula must stay text in the workbook
    from jiceng.territory.models import Region

    town = Region.objects.get(code="610921002")
    town.name = '=HYPERLINK("x")涧池镇'
    town.save()  # through save(): cached ranking names are dropped
    ids = []
    for fmt in ("xlsx", "pdf"):
        with django_capture_on_commit_callbacks(execute=True):
            r = _api(c, "post", "/api/v1/assessment/exports",
                     {"fmt": fmt, "kind": "month", "start": "2026-10-01"})  # fmt: skip
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    for pk in ids:
        s = c.get(f"/api/v1/assessment/exports/{pk}").json()
        assert s["state"] == "done" and s["progress"] == 100, s
    wb = load_workbook(io.BytesIO(c.get(f"/assessment/exports/{ids[0]}/download/").content))
    ws = wb["街道、乡镇"]
    assert "2026年10月" in ws["A1"].value and "周期" in ws["A2"].value
    texts = [cell for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    evil = [cell for cell in texts if cell.value.startswith("=HYPERLINK")]
    assert evil and all(cell.data_type == "s" for cell in evil)
    assert ws.column_dimensions["B"].width >= 28
    pdf = c.get(f"/assessment/exports/{ids[1]}/download/").content
    assert pdf.startswith(b"%PDF")  # its font: test_pdf_font.py
    # another user cannot fetch the file
    assert (
        client_for(users.street).get(f"/assessment/exports/{ids[1]}/download/").status_code == 404
    )


def test_the_daily_refresh_moves_clock_driven_facts(users, territory, october):
    from django.core.management import call_command

    from jiceng.assessment.models import CaseFact

    CaseFact.objects.filter(case_id=october.paused.pk).update(due=0)
    out = io.StringIO()
    call_command("assessment_refresh", stdout=out)
    assert "考核事实" in out.getvalue()
    assert CaseFact.objects.get(case_id=october.paused.pk).due == 1


@pytest.mark.django_db(transaction=True)
def test_an_export_runs_in_the_background_and_reports_progress(users, territory, october):
    import time

    from jiceng.assessment.metrics import ensure_defaults

    ensure_defaults()
    c = client_for(users.street)
    r = _api(c, "post", "/api/v1/assessment/exports",
             {"fmt": "xlsx", "kind": "month", "start": "2026-10-01"})  # fmt: skip
    assert r.status_code == 201
    pk = r.json()["id"]
    for _ in range(100):
        s = c.get(f"/api/v1/assessment/exports/{pk}").json()
        if s["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert s["state"] == "done" and s["download"], s
    book = c.get(s["download"]).content
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(book))
    # a street's workbook holds its own rows only
    text = " ".join(str(cell.value) for ws in wb for row in ws.iter_rows() for cell in row)
    assert "城关镇" in text and "涧池镇" not in text
    r = _api(c, "post", "/api/v1/assessment/exports", {"fmt": "doc", "start": "2026-10-01"})
    assert r.status_code == 400
    r = _api(client_for(users.grid_worker), "post", "/api/v1/assessment/exports",
             {"fmt": "xlsx", "start": "2026-10-01"})  # fmt: skip
    assert r.status_code == 403


@pytest.mark.parametrize(
    "span, zh, en",
    [
        (month_of(date(2026, 11, 5)), "2026年11月", "November 2026"),
        (quarter_of(date(2026, 11, 5)), "2026年第4季度", "Q4 2026"),
        (week_of(date(2026, 11, 5)), "2026-11-02至11-08（周）", "week 2026-11-02 to 11-08"),
        (Span("range", date(2026, 10, 3), date(2026, 11, 4)), "2026-10-03至2026-11-04",
         "2026-10-03 to 2026-11-04"),
    ],
)  # fmt: skip
def test_a_period_reads_in_the_pages_language_and_keeps_its_chinese_label(span, zh, en):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert span.display == zh == span.label
    with translation.override("en"):
        assert span.display == en and span.label == zh
