"""Pages through the client: the district user's ranking, a figure's working, scope."""

from __future__ import annotations

import pytest

from jiceng.testing import client_for

Q = "kind=month&start=2026-10-01"


def test_district_ranking_and_the_working_behind_a_figure(users, territory, october):
    c = client_for(users.district)
    r = c.get(f"/assessment/?{Q}&dim=street&metric=ontime_close_rate")
    assert r.status_code == 200
    html = r.content.decode()
    assert "城关镇" in html and "涧池镇" in html and "50.0" in html
    r = c.get(f"/assessment/working/?{Q}&dim=street&key={territory.town1.code}"
              "&metric=ontime_close_rate")  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200
    assert "按期结案数" in html and "缓办数" in html
    assert october.on_time.number in html  # in the numerator
    assert october.paused.number in html  # in the denominator (due and paused)
    assert october.litigation.number in html  # listed under the excluded cases
    assert october.town2_a.number not in html


def test_a_street_sees_its_own_villages_not_another_streets_detail(users, territory, october):
    c = client_for(users.street)  # 城关镇
    html = c.get(f"/assessment/?{Q}&dim=village&metric=close_rate").content.decode()
    assert "城关社区" in html and "双河口村" not in html
    html = c.get(f"/assessment/?{Q}&dim=street&metric=close_rate").content.decode()
    assert "城关镇" in html and "涧池镇" not in html
    r = c.get(f"/assessment/working/?{Q}&dim=street&key={territory.town2.code}&metric=close_rate")
    assert r.status_code == 404
    r = c.get(
        f"/assessment/working/?{Q}&dim=village&key={territory.village3.code}&metric=close_rate"
    )
    assert r.status_code == 404


@pytest.mark.parametrize("who", ["other_street", "other_district", "resident", "no_scope"])
def test_outsiders_are_refused(users, territory, october, who):
    c = client_for(getattr(users, who))
    r = c.get(f"/assessment/working/?{Q}&dim=street&key={territory.town1.code}&metric=close_rate")
    assert r.status_code in (403, 404)
    r = c.get(f"/assessment/?{Q}&dim=street")
    if r.status_code == 200:
        assert "城关镇" not in r.content.decode()
    else:
        assert r.status_code == 403


def test_a_department_sees_its_own_row_and_only_its_cases(users, territory, october):
    c = client_for(users.department)
    html = c.get(f"/assessment/?{Q}&dim=department&metric=close_rate").content.decode()
    assert "住房和城乡建设局" in html and "水利局" not in html
    html = c.get(f"/assessment/?{Q}&dim=street").content.decode()
    assert "城关镇" not in html
    r = c.get(
        f"/assessment/working/?{Q}&dim=department&key={users.other_dept.pk}&metric=close_rate"
    )
    assert r.status_code == 404


def test_grid_worker_ranking_names_the_worker(users, territory, october):
    c = client_for(users.grid_worker)
    html = c.get(f"/assessment/?{Q}&dim=grid_worker&metric=close_rate").content.decode()
    assert "张网格" in html


def test_bad_period_is_a_chinese_message_not_a_500(users, october):
    c = client_for(users.district)
    r = c.get("/assessment/?kind=range&start=2026-10-05&end=2026-10-01")
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    r = c.get("/assessment/?kind=month&start=not-a-date")
    assert r.status_code == 200 and "日期格式" in r.content.decode()


def test_every_page_opens(users, october):
    c = client_for(users.district)
    for url in ["/assessment/metrics/", "/assessment/exclusions/", "/assessment/exports/",
                "/assessment/scorecards/?month=2026-10-01"]:  # fmt: skip
        assert c.get(url).status_code == 200, url
    assert client_for(users.department).get("/assessment/dispatch-rating/").status_code == 200
    assert client_for(users.resident).get("/assessment/metrics/").status_code == 403


def test_the_api_is_declared_and_errors_are_structured(users, october):
    c = client_for(users.district)
    doc = c.get("/api/v1/openapi.json").json()
    paths = [p for p in doc["paths"] if p.startswith("/api/v1/assessment/")]
    assert "/api/v1/assessment/rankings" in paths and "/api/v1/assessment/working" in paths
    assert "403" in doc["paths"]["/api/v1/assessment/rankings"]["get"]["responses"]
    r = c.get("/api/v1/assessment/rankings?dimension=street&kind=range&start=2026-10-05&end=x")
    assert r.status_code == 400 and r.json()["error"]["message"] == "日期格式应为 YYYY-MM-DD"
    r = c.get("/api/v1/assessment/rankings?dimension=nation&start=2026-10-01")
    assert r.status_code == 400 and "排名对象" in r.json()["error"]["message"]
    r = client_for(users.resident).get("/api/v1/assessment/rankings?start=2026-10-01")
    assert r.status_code == 403
    r = c.get("/api/v1/assessment/working?dimension=street&key=610922001&metric=close_rate"
              "&start=2026-10-01")  # fmt: skip
    assert r.status_code == 404
