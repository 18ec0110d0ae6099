"""Hot words: the statistic (table-driven) and the API/page, scoped to the viewer's territory."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.cases import services as cases
from jiceng.dispatch.hotwords import duplicate_clusters, g2, word_stats
from jiceng.testing import client_for


@pytest.mark.parametrize(
    "a,n1,b,n0,low,high",
    [
        (10, 100, 10, 100, 0.0, 1e-9),  # same share: no evidence
        (20, 100, 5, 100, 10.0, 12.0),  # 20 % vs 5 %: G² ≈ 10.6
        (0, 100, 0, 100, 0.0, 1e-9),
        (5, 5, 0, 100, 30.0, 45.0),  # every case now, none before
        (3, 10, 1, 0, 0.0, 1e-9),  # no baseline: no test
    ],
)
def test_g2_table(a, n1, b, n0, low, high):
    assert low <= g2(a, n1, b, n0) <= high


def test_rising_needs_a_significant_rise_not_a_big_count():
    before = [{"路灯"}] * 40 + [{"其他"}] * 60
    now = [{"路灯"}] * 40 + [{"广场舞", "噪音"}] * 8 + [{"其他"}] * 32
    s = word_stats(now, before)
    rising = {r["word"] for r in s["rising"]}
    assert {"广场舞", "噪音"} <= rising
    assert "路灯" not in rising  # the most frequent word, but not rising
    assert s["top"][0]["word"] == "路灯"


def test_duplicates_are_same_village_and_similar_text():
    cases_ = [
        {"text": "幸福小区三号楼下水道堵塞污水外溢", "region_code": "610921001001001"},
        {"text": "幸福小区3号楼下水道堵塞，污水外溢", "region_code": "610921001001002"},
        {
            "text": "幸福小区三号楼下水道堵塞污水外溢",
            "region_code": "610921002001001",
        },  # other village
        {"text": "学校门口占道经营", "region_code": "610921001001001"},
    ]
    assert duplicate_clusters(cases_) == [[0, 1]]


NOISE = "城关社区广场舞噪音扰民，晚上十点还在放音乐"
OTHER = ["小区路灯坏了没人修", "道路破损需要修补", "垃圾清运不及时", "楼道堆放杂物"]


@pytest.fixture
def history(users, territory):
    now = timezone.now()
    made = []

    def add(text, region, days_ago):
        c = cases.intake(
            channel="hotline",
            request_type="complaint",
            category=None,
            description=text,
            region_code=region,
            user=users.district,
            title=text[:10],
            now=now - timedelta(days=days_ago),
        )
        made.append(c)

    for i in range(5):
        add(NOISE + f"（第{i + 1}次反映）", territory.village1.code, 1 + i % 3)
    for i in range(12):
        add(OTHER[i % 4], territory.village1.code, 8 + i)
    for i in range(3):
        add(OTHER[i % 4], territory.village1.code, 2)
    add("涧池镇双河口村广场舞噪音", territory.town2.code + "001", 1)
    return made


def get(user, query=""):
    return client_for(user).get("/api/v1/dispatch/hotwords" + query)


def test_rising_words_with_cases_and_duplicates(history, users, territory):
    r = get(users.district)
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["region_code"] == territory.county.code
    assert d["cases"] == 9 and d["cases_before"] == 12
    words = {w["word"]: w for w in d["rising"]}
    assert "噪音" in words
    assert len(words["噪音"]["numbers"]) == 6  # 5 in 城关社区 + 1 in 涧池镇
    assert words["噪音"]["regions"][0] == {"code": territory.village1.code, "cases": 5}
    assert any(len(g) >= 5 for g in d["duplicates"])


def test_hot_words_only_over_the_viewers_territory(history, users, territory):
    d = get(users.street).json()  # 城关镇 only
    assert d["region_code"] == territory.town1.code
    assert len({w["word"]: w for w in d["rising"]}["噪音"]["numbers"]) == 5
    # another town or county is refused as if absent
    for code in (territory.town2.code, territory.other_county.code):
        r = get(users.street, f"?region={code}")
        assert r.status_code == 404
    assert get(users.other_district).json()["cases"] == 0


@pytest.mark.parametrize("who", ["resident", "department", "grid_worker", "auditor"])
def test_hot_words_refused_roles(history, users, who):
    assert get(getattr(users, who)).status_code == 403
    assert client_for(getattr(users, who)).get("/dispatch/hotwords/").status_code == 403


def test_no_scope_is_refused(users):
    assert get(users.no_scope).status_code == 403


def test_bad_period_is_a_clear_error(users):
    r = get(users.district, "?days=0")
    assert r.status_code == 422 and r.json()["error"]["message"]  # bounded at the edge


def test_page_renders_for_a_centre(history, users):
    r = client_for(users.street).get("/dispatch/hotwords/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "噪音" in html and "echarts.min.js" in html
    r = client_for(users.street).get("/dispatch/hotwords/?region=610922")
    assert r.status_code == 400 and "不在您的管辖范围内" in r.content.decode()


def test_the_p_of_a_g2_is_scipys_chi2_with_one_degree_of_freedom():
    from scipy.stats import chi2

    from jiceng.dispatch.hotwords import chi2_sf_1

    for x in [0.0, 1e-6, 0.5, 2.0, 3.841458820694124, 10.0, 50.0, 200.0]:
        want = float(chi2.sf(x, 1))
        assert abs(chi2_sf_1(x) - want) <= 1e-12 * max(want, 1e-300), x
