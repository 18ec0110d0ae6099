"""In a browser: the district user opens last month's ranking, publishes it, clicks a
figure and sees the cases behind it, and downloads the workbook and the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.testing import wait_js

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"
URL = "/assessment/?kind=month&start=2026-10-01&dim=street&metric=ontime_close_rate"


def _shot(pg, name):
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"assessment-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_district_ranking_figure_cases_and_exports(
    live_server, page, phone_page, login, users, territory, october
):
    from jiceng.assessment.metrics import ensure_defaults

    ensure_defaults()  # a transactional test may follow a flush that dropped them
    pg = page
    login(pg, "district")
    pg.goto(live_server.url + URL)
    pg.wait_for_selector("#ranking tbody tr")
    assert "城关镇" in pg.inner_text("#ranking") and "涧池镇" in pg.inner_text("#ranking")
    wait_js(pg, "document.querySelector('#chart svg') !== null")
    _shot(pg, "1-ranking-live")
    pg.click("text=发布 2026年10月")
    pg.wait_for_selector("text=已发布 · 第 1 版")
    _shot(pg, "2-ranking-published")
    row = pg.locator("#ranking tbody tr", has_text="城关镇")
    assert row.locator("a.figure").inner_text() == "50.0"
    row.locator("a.figure").click()
    pg.wait_for_selector("#result")
    assert "按期结案数" in pg.inner_text("#counts")
    assert october.on_time.number in pg.inner_text("#num-cases")
    assert october.paused.number in pg.inner_text("#den-cases")
    assert october.litigation.number in pg.inner_text("#excl-cases")
    _shot(pg, "3-working")
    pg.click("text=← 返回排名")
    pg.click("text=导出 Excel 工作簿")
    pg.wait_for_selector("#jobs a:has-text('下载')")
    with pg.expect_download() as dl:
        pg.click("#jobs a:has-text('下载')")
    assert dl.value.suggested_filename.endswith(".xlsx")
    pg.goto(live_server.url + URL)
    pg.click("text=导出 PDF 报告")
    pg.wait_for_selector("#jobs tr[data-job]:first-child a:has-text('下载')")
    _shot(pg, "4-exports")
    with pg.expect_download() as dl:
        pg.click("#jobs tr[data-job]:first-child a:has-text('下载')")
    assert dl.value.suggested_filename.endswith(".pdf")

    pg.goto(live_server.url + "/assessment/metrics/")
    pg.fill("#m-three_rates input[name='components.response_rate']", "30")
    pg.fill("#m-three_rates input[name='components.resolution_rate']", "35")
    pg.fill("#m-three_rates input[name='components.satisfaction_rate']", "35")
    pg.fill("#m-three_rates input[name=reason]", "按市里新办法 30/35/35")
    pg.click("#m-three_rates button[type=submit]")
    pg.wait_for_selector("text=已保存“三率综合得分”的修改")
    assert "按市里新办法" in pg.inner_text("body")
    _shot(pg, "6-metrics")

    # a grid worker on a phone sees their own row only
    login(phone_page, "gridworker")
    phone_page.goto(live_server.url + "/assessment/?kind=month&start=2026-10-01&dim=grid_worker")
    phone_page.wait_for_selector("#ranking tbody tr")
    assert "张网格" in phone_page.inner_text("#ranking")
    _shot(phone_page, "5-phone-grid-worker")
    phone_page.goto(live_server.url + "/assessment/scorecards/?month=2026-10-01")
    phone_page.wait_for_selector("#scores")
    assert "张网格" in phone_page.inner_text("#scores")
    _shot(phone_page, "7-phone-scorecard")


BARS = (
    "Array.from(document.querySelectorAll('#chart svg path[fill=\"#2f6fb0\"]'))"
    + ".map(function(p){ var b = p.getBBox(); return Math.round(b.width); })"
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_ranking_chart_is_whole_at_once_and_prints(
    live_server, page, login, users, territory, october, motion
):
    """No entrance animation: the bars are at their full length the moment the chart is
    drawn (a screenshot or print taken at once shows them), whatever the reader's motion
    preference; printed, the chart fits the paper and the menu and filters are gone."""
    from jiceng.assessment.metrics import ensure_defaults

    ensure_defaults()
    pg = page
    login(pg, "district")
    pg.emulate_media(reduced_motion=motion)
    pg.goto(live_server.url + URL)
    wait_js(pg, "document.querySelector('#chart[data-drawn] svg') !== null")
    at_once = pg.evaluate(BARS)
    _shot(pg, f"7-chart-at-once-{motion}")
    pg.wait_for_timeout(1500)  # an entrance animation (ECharts: 1 s) would be over
    later = pg.evaluate(BARS)
    assert len(at_once) == 2 and min(at_once) > 0, at_once
    assert at_once == later

    pg.emulate_media(media="print")
    pg.wait_for_timeout(200)
    assert pg.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "none"
    width = pg.evaluate("document.querySelector('#chart svg').getBoundingClientRect().width")
    room = pg.evaluate("document.querySelector('#chart').getBoundingClientRect().width")
    assert 0 < width <= room + 1
    if motion == "reduce":
        SHOTS.mkdir(exist_ok=True)
        pg.pdf(path=str(SHOTS / "assessment-8-ranking-printed.pdf"), format="A4")
