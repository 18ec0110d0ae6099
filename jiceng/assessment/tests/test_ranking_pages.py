"""The ranking page in pages of rows (a county has ~32,000 grid workers): ranks are the
county's whatever the page, the search and the viewer's scope; every figure links to its
working; a street sees its own units on every page and nothing of another street; the
exports stay complete."""

from __future__ import annotations

import io
from html import unescape

import pytest

from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
URL = "/assessment/?kind=month&start=2026-10-01&dim=grid_worker&metric=response_rate"


@pytest.fixture
def two_a_page(monkeypatch):
    from jiceng.assessment import rankings

    monkeypatch.setattr(rankings, "PER_PAGE", 2)


def _rows(html: str) -> list[tuple[str, str]]:
    """(rank, figure) of each row of the ranking table, in order."""
    import re

    body = html.split('<table id="ranking">')[1].split("</table>")[0]
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if len(cells) < 3:
            continue  # the "nothing to show" row
        figure = re.sub(r"<[^>]+>", "", cells[2]).strip()
        out.append((re.sub(r"<[^>]+>", "", cells[0]).strip(), figure))
    return out


def test_pages_keep_the_countys_ranks_and_link_each_figure(
    users, territory, hand_counted, two_a_page
):
    c = client_for(users.district)
    first = c.get(URL).content.decode()
    assert _rows(first) == [("1", "66.67"), ("1", "66.67")]
    assert "第 1 / 2 页" in first and "page=2" in first
    second = c.get(URL + "&page=2").content.decode()
    assert _rows(second) == [("3", "3.13"), ("—", "—")]
    assert "五一村一级网格" in second and "城关社区一级网格" not in second
    assert "共 4 个单位，其中 3 个参与排名，您可查看 4 个" in second
    # the figure on page 2 opens its working: the 32 cases behind 1/32
    link = f"key={hand_counted.code}&amp;metric=response_rate"
    assert link in second
    r = c.get(f"/assessment/working/?kind=month&start=2026-10-01&dim=grid_worker"
              f"&key={hand_counted.code}&metric=response_rate")  # fmt: skip
    assert r.status_code == 200 and "3.13" in r.content.decode()
    # a page past the end or a bad page number is named, and the first page shown
    past = c.get(URL + "&page=99").content.decode()
    assert _rows(past) == _rows(first) and "列表没有第 99 页。下面显示第 1 页。" in past
    bad = c.get(URL + "&page=x").content.decode()
    assert _rows(bad) == _rows(first) and "“页码”须为整数，“x”不是。" in unescape(bad)


def test_the_search_finds_a_worker_or_a_grid_by_name(users, territory, hand_counted, two_a_page):
    c = client_for(users.district)
    html = c.get(URL + "&q=李网格").content.decode()
    assert _rows(html) == [("1", "66.67")] and "李网格" in html
    assert "名称含“李网格”的有 1 个" in html and "第 1 / " not in html
    html = c.get(URL + "&q=五一村").content.decode()
    assert _rows(html) == [("3", "3.13")]  # the county's rank, not 1 of 1
    html = c.get(URL + "&q=没有这个网格").content.decode()
    assert _rows(html) == [] and "没有名称相符的单位" in html


def test_a_village_pages_through_its_own_grids_only(users, territory, hand_counted, two_a_page):
    html = client_for(users.community).get(URL).content.decode()  # 城关社区
    assert _rows(html) == [("1", "66.67"), ("1", "66.67")]
    assert "您可查看 2 个" in html and "五一村" not in html and "page=2" not in html


def test_another_street_is_refused_on_every_page_and_figure(
    users, territory, hand_counted, two_a_page
):
    c = client_for(users.other_street)  # 涧池镇
    for page in (1, 2):  # one page: its own grid (双河口村, no value); page 2 shows page 1
        html = c.get(URL + f"&page={page}").content.decode()
        assert "城关社区" not in html and "五一村" not in html and "李网格" not in html
        assert _rows(html) == [("—", "—")] and "您可查看 1 个" in html
    html = c.get(URL + "&q=李网格").content.decode()
    assert _rows(html) == [] and "名称含“李网格”的有 0 个" in html
    r = c.get(f"/assessment/working/?kind=month&start=2026-10-01&dim=grid_worker"
              f"&key={hand_counted.code}&metric=response_rate")  # fmt: skip
    assert r.status_code == 404
    assert client_for(users.resident).get(URL).status_code == 403


def test_the_exports_hold_every_row_whatever_the_page(
    users, territory, hand_counted, two_a_page, django_capture_on_commit_callbacks, settings
):
    from openpyxl import load_workbook

    settings.JICENG_EXPORT_INLINE = True
    c = client_for(users.district)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/assessment/exports/", {"fmt": "xlsx", "kind": "month",
                                             "start": "2026-10-01", "metric": "response_rate"})  # fmt: skip
    assert r.status_code == 302
    from jiceng.assessment.models import ExportJob

    job = ExportJob.objects.get()
    wb = load_workbook(io.BytesIO(c.get(f"/assessment/exports/{job.pk}/download/").content))
    ws = wb["网格员"]
    names = [row[1].value for row in ws.iter_rows() if row[1].value and "网格" in str(row[1].value)]
    assert len([n for n in names if "（" in n]) == 4


def test_a_published_month_pages_its_frozen_rows(users, territory, hand_counted, two_a_page):
    """The page of a published month reads the frozen rows of its kind of unit only; a case
    answered after publication does not move them."""
    from jiceng.assessment import facts, rankings
    from jiceng.assessment.periods import parse
    from jiceng.assessment.tests.conftest import at
    from jiceng.cases.models import Case

    rankings.publish(users.district, parse("month", "2026-10-01", None), "十月考核")
    late = Case.objects.filter(region_code=hand_counted.code, first_response_at=None).first()
    late.first_response_at = late.created_at
    late.save()
    facts.refresh([late.pk], at(31, 18))
    c = client_for(users.district)
    html = c.get(URL + "&page=2").content.decode()
    assert "已发布 · 第 1 版" in html and _rows(html) == [("3", "3.13"), ("—", "—")]
    assert "version=1" in html  # each figure links to the frozen working
    html = c.get(URL + "&q=五一村").content.decode()
    assert _rows(html) == [("3", "3.13")]
    html = client_for(users.other_street).get(URL).content.decode()
    assert "五一村" not in html and "李网格" not in html


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ("dim=grid&metric=response_rate", "没有“grid”这类排名，下面是街道（乡镇）排名"),
        # … and the page falls back to its default, the composite 三率 score
        (
            "dim=street&metric=no_such_rate",
            "没有代码为“no_such_rate”的指标，下面按“三率综合得分”排名",
        ),
    ],
)
def test_an_unknown_kind_of_ranking_or_metric_is_named_not_silently_replaced(
    users, territory, hand_counted, params, said
):
    """An old or mistyped link (`dim=grid` for `grid_worker`) showed the street ranking
    with no word of why; now the page says what it shows instead."""
    r = client_for(users.district).get(f"/assessment/?kind=month&start=2026-10-01&{params}")
    assert r.status_code == 200
    assert said in r.content.decode()
    fine = client_for(users.district).get(URL).content.decode()
    assert "这类排名" not in fine and "没有代码为" not in fine
