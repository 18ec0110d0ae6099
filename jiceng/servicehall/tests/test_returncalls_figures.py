"""随机回访 (a recorded, seeded sample of finished proxy applications and each call's result,
figures per agent) and the figures per item, unit and window with a period and an export."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.accounts.models import AccessLog
from jiceng.servicehall import applications as apps
from jiceng.servicehall import proxy, ratings, stats
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import ReturnCall, ReturnSample
from jiceng.servicehall.tests.test_applications import MON, Z, form, mv
from jiceng.servicehall.tests.test_ratings_proxy import proxied_and_finished
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_q4(hall):
    return [proxied_and_finished(hall, i, datetime(2026, 11, 2 + i, 10, tzinfo=Z))
            for i in range(8)]  # fmt: skip


def test_a_sample_is_drawn_by_size_or_share_recorded_and_redrawn_alike(hall, finished_q4):
    street = hall.users.street
    s = proxy.draw_sample(street, "2026Q4", size=3, seed="abc", now=MON)
    assert len(s.numbers) == 3 and s.pool_size == 8 and s.seed == "abc"
    assert set(s.numbers) <= {a.number for a in finished_q4}
    assert proxy.check_sample(s, street)
    same = proxy.draw_sample(street, "2026Q4", size=3, seed="abc", now=MON)
    assert same.numbers == s.numbers  # the same seed draws the same sample
    by_share = proxy.draw_sample(street, "2026Q4", share=0.5, now=MON)
    assert len(by_share.numbers) == 4 and len(by_share.seed) == 8  # a seed is made and kept
    bad: list[tuple[int | None, float | None, str]] = [
        (None, None, "二选一"),
        (2, 0.1, "二选一"),
        (0, None, "1–500"),
        (None, 1.5, "不超过 100%"),
    ]
    for size, share, words in bad:  # fmt: skip
        with pytest.raises(Refused, match=words):
            proxy.draw_sample(street, "2026Q4", size=size, share=share)
    with pytest.raises(Refused, match="没有已办结的代办件"):
        proxy.draw_sample(street, "2026Q3", size=3)
    with pytest.raises(Refused, match="季度格式"):
        proxy.draw_sample(street, "2026-11", size=3)


def test_only_finished_proxy_applications_of_the_quarter_are_drawn(hall, finished_q4):
    open_one = apps.intake(hall.agent_user, form(hall, "MZ-001", phone="13800001234"), now=MON)
    window = apps.intake(hall.village_clerk, form(hall, "MZ-001", phone="13800004321"), now=MON)
    mv(hall.village_clerk, window, "pass", now=MON)
    s = proxy.draw_sample(hall.users.street, "2026Q4", share=1.0)
    assert len(s.numbers) == 8 and open_one.number not in s.numbers
    assert window.number not in s.numbers


def test_the_agent_and_another_town_are_refused(hall, finished_q4):
    with pytest.raises(PermissionDenied):
        proxy.draw_sample(hall.agent_user, "2026Q4", size=2)
    with pytest.raises(Refused, match="没有已办结的代办件"):  # 涧池镇 sees none of 城关镇's
        proxy.draw_sample(hall.users.other_street, "2026Q4", size=2)
    s = proxy.draw_sample(hall.users.street, "2026Q4", size=2)
    with pytest.raises(Refused, match="不在您的管辖范围内"):
        proxy.get_sample(hall.users.other_street, s.pk)
    assert client_for(hall.users.other_street).get(
        f"/servicehall/returncalls/{s.pk}/").status_code == 404  # fmt: skip
    assert client_for(hall.agent_user).get("/servicehall/returncalls/").status_code == 403


def test_call_results_are_recorded_per_sample_and_counted_per_agent(hall, finished_q4):
    street = hall.users.street
    s = proxy.draw_sample(street, "2026Q4", size=4, seed="x")
    n0, n1 = s.numbers[:2]
    proxy.record_return_call(street, n0, "", False, None, "无人接听", sample=s)
    proxy.record_return_call(street, n0, "", True, True, "很方便", sample=s)  # tried again
    with pytest.raises(Refused, match="不能重复记录"):
        proxy.record_return_call(street, n0, "", True, False, sample=s)
    proxy.record_return_call(street, n1, "", True, False, "跑了两趟", sample=s)
    outside = next(a.number for a in finished_q4 if a.number not in s.numbers)
    with pytest.raises(Refused, match="不在本次抽样之中"):
        proxy.record_return_call(street, outside, "", True, True, sample=s)
    (f,) = proxy.sample_figures(s)
    assert f == {"agent": "代办员任春河", "village": hall.t.village2.name, "sampled": 4,
                 "called": 2, "reached": 2, "satisfied": 1, "rate": 0.5}  # fmt: skip
    assert ReturnCall.objects.filter(sample=s, quarter="2026Q4").count() == 3


def test_the_return_call_pages_draw_record_and_log_the_phones_shown(hall, finished_q4):
    c = client_for(hall.users.street)
    r = c.post("/servicehall/returncalls/", {"quarter": "2026Q4", "size": "", "share": "abc"})
    assert "抽样比例须为数字" in r.content.decode()
    r = c.post("/servicehall/returncalls/", {"quarter": "2026Q4", "share": "50%", "seed": "s1"})
    s = ReturnSample.objects.get()
    assert r.url == f"/servicehall/returncalls/{s.pk}/" and len(s.numbers) == 4
    page = c.get(r.url).content.decode()
    assert "重抽核对一致" in page and "代办员任春河" in page and s.numbers[0] in page
    assert AccessLog.objects.filter(subject_type="servicehall.application").count() == 4
    c.post(r.url, {"number": s.numbers[0], "reached": "1", "satisfied": "1", "note": "好"})
    assert ReturnCall.objects.get().satisfied is True
    page = c.get(r.url).content.decode()
    assert "100%" in page


# ------------------------------------------------------------------ figures


@pytest.fixture
def spread(hall):
    """Two finished MZ-004 in November (one early, one late, one rated 差评), one SC-001
    taken in by the town in December."""
    a = apps.intake(hall.village_clerk, form(hall, "MZ-004"), now=MON)
    mv(hall.village_clerk, a, "pass", now=MON)
    mv(hall.town_clerk, a, "approve", now=MON)
    b = apps.intake(hall.village_clerk, form(hall, "MZ-004", phone="13912340000"), now=MON)
    mv(hall.village_clerk, b, "pass", now=MON)
    mv(hall.town_clerk, b, "approve", now=datetime(2026, 12, 4, 10, tzinfo=Z))
    ratings.rate(b.number, b.applicant_phone, 1, "太慢", now=datetime(2026, 12, 4, 11, tzinfo=Z))
    ratings.rate(a.number, a.applicant_phone, 5, "", now=datetime(2026, 12, 4, 11, tzinfo=Z))
    apps.intake(hall.town_clerk, form(hall, "SC-001"), now=datetime(2026, 12, 2, 10, tzinfo=Z))
    return a, b


def test_figures_per_item_unit_and_window_with_a_period(hall, spread):
    rows = {r["key"]: r for r in stats.grouped(hall.town_clerk, "item")}
    mz = rows["MZ-004"]
    assert mz["total"] == 2 and mz["finished"] == 2 and mz["early_rate"] == 0.5
    assert mz["satisfaction"] == 0.5 and mz["bad_share"] == 0.5
    assert mz["app_compression"] == round(1 - 5 / 15, 4)
    assert rows["SC-001"]["total"] == 1
    units = {r["key"] for r in stats.grouped(hall.town_clerk, "unit")}
    assert units == {"县民政局", "县市场监督管理局"}
    windows = {r["name"]: r["total"] for r in stats.grouped(hall.town_clerk, "window")}
    assert windows == {hall.t.village2.name: 2, hall.t.town1.name: 1}
    dec = stats.grouped(hall.town_clerk, "item", since=date(2026, 12, 1), until=date(2026, 12, 31))
    assert [r["key"] for r in dec] == ["SC-001"]
    nov = stats.grouped(hall.town_clerk, "item", until=date(2026, 11, 30))
    assert [r["key"] for r in nov] == ["MZ-004"]
    assert stats.grouped(hall.other_town_clerk, "item") == []  # refused: another town's


def test_the_figures_page_filters_exports_and_says_a_bad_date_in_chinese(hall, spread):
    from openpyxl import load_workbook

    c = client_for(hall.town_clerk)
    page = c.get("/servicehall/figures/?by=unit&since=2026-11-01&until=2026-11-30").content.decode()
    assert "县民政局" in page and "县市场监督管理局" not in page and "50%" in page
    page = c.get("/servicehall/figures/?since=2026-13-01").content.decode()
    assert "格式不正确" in page
    page = c.get("/servicehall/figures/?since=2026-12-05&until=2026-12-01").content.decode()
    assert "开始日期不能晚于结束日期" in page
    r = c.get("/servicehall/figures/?by=item&since=2026-11-01&format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    names = [row[0] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert names == ["临时救助申请", "个体工商户设立登记"] or set(names) == {
        "临时救助申请", "个体工商户设立登记"}  # fmt: skip
    assert client_for(hall.users.resident).get("/servicehall/figures/").status_code == 403
    # the item's page has the period filter too
    page = c.get("/servicehall/item/MZ-004/?period=year").content.decode()
    assert 'id="period-form"' in page and "差评率" in page


def test_the_figures_api_and_its_export(hall, spread):
    c = client_for(hall.town_clerk)
    r = c.get("/api/v1/servicehall/figures?by=window&since=2026-11-01")
    assert r.status_code == 200 and sum(x["total"] for x in r.json()) == 3
    r = c.get("/api/v1/servicehall/figures?since=2026-12-05&until=2026-12-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_period"
    assert c.get("/api/v1/servicehall/figures?by=nope").status_code == 422
    assert c.get("/api/v1/servicehall/figures.xlsx?by=unit").status_code == 200
    r = c.get("/api/v1/servicehall/catalogue/MZ-004/figures?since=2026-12-01")
    assert r.json()["total"] == 0
