"""Acceptance of the suggestions (issue 16 item 3): recorded per case in the intake
transaction from the hotline form, the report form and the cases API; the rate per period,
scoped, in the dispatch API and on the command wall."""

import json

import pytest

from jiceng.cases.models import Case, Category
from jiceng.dispatch.models import SuggestionOutcome
from jiceng.testing import client_for

SHOWN = "城乡建设|劳动和社会保障|教育文体"


@pytest.fixture
def cats(db):
    build = Category.objects.create(code="01", name="城乡建设", path="城乡建设", depth=1)
    road = Category.objects.create(
        code="0101",
        name="城市建设和市政管理",
        path="城乡建设/城市建设和市政管理",
        parent=build,
        depth=2,
    )
    labour = Category.objects.create(
        code="02", name="劳动和社会保障", path="劳动和社会保障", depth=1
    )
    health = Category.objects.create(code="03", name="卫生计生", path="卫生计生", depth=1)
    return build, road, labour, health


def hotline(user, category, region, extra, token):
    form = {
        "reporter_phone": "13900001111",
        "request_type": "complaint",
        "category": category.code,
        "region_code": region,
        "description": "解放路路灯坏了两个星期，晚上很黑",
        "urgency": "1",
        "token": token,
        **extra,
    }
    return client_for(user).post("/cases/hotline/", form)


def test_the_hotline_form_records_rank_and_click(users, territory, cats):
    build, road, labour, health = cats
    v1 = territory.village1.code
    r = hotline(users.street, road, v1, {"suggested": SHOWN, "suggestion_accepted": "1"}, "t1")
    assert r.status_code == 302, r.content.decode()[:500]
    hotline(users.street, labour, v1, {"suggested": SHOWN, "suggestion_accepted": "0"}, "t2")
    hotline(users.street, health, v1, {"suggested": SHOWN, "suggestion_accepted": "0"}, "t3")
    hotline(users.street, build, v1, {}, "t4")  # no suggestion on screen: nothing recorded
    # the same form sent again (double Ctrl+Enter) is one case and one row
    hotline(users.street, road, v1, {"suggested": SHOWN, "suggestion_accepted": "1"}, "t1")
    assert Case.objects.count() == 4
    rows = {o.category_path: o for o in SuggestionOutcome.objects.all()}
    assert len(rows) == 3
    first = rows["城乡建设/城市建设和市政管理"]  # filed under the first suggestion
    assert (first.rank, first.picked, first.channel) == (1, True, "hotline")
    assert first.suggested == SHOWN.split("|")
    assert (rows["劳动和社会保障"].rank, rows["劳动和社会保障"].picked) == (2, False)
    assert rows["卫生计生"].rank is None  # none of the three


def test_a_refused_intake_records_nothing(users, territory, cats):
    r = hotline(
        users.street,
        cats[1],
        territory.village1.code,
        {"suggested": SHOWN, "description": "短"},
        "t9",
    )
    assert r.status_code == 200  # the form again, with the error
    assert not SuggestionOutcome.objects.exists()


def test_the_api_takes_the_suggestions_shown(users, territory, cats):
    c = client_for(users.street)
    body = {
        "channel": "hotline",
        "category": cats[2].code,
        "description": "公司拖欠工资三个月，劳动监察不管",
        "suggested": ["劳动和社会保障", "城乡建设"],
        "suggestion_accepted": True,
    }
    r = c.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    o = SuggestionOutcome.objects.get(case__number=r.json()["number"])
    assert (o.rank, o.picked, o.suggested) == (1, True, ["劳动和社会保障", "城乡建设"])
    # more than three suggestions is refused by the schema (422), nothing is taken in
    body["suggested"] = ["a", "b", "c", "d"]
    r = c.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code in (400, 422)
    assert Case.objects.count() == 1


def _taken(users, territory, cats):
    build, road, labour, health = cats
    v1, v3 = territory.village1.code, territory.village3.code
    hotline(users.street, road, v1, {"suggested": SHOWN, "suggestion_accepted": "1"}, "a")
    hotline(users.street, labour, v1, {"suggested": SHOWN}, "b")
    hotline(users.street, health, v1, {"suggested": SHOWN}, "c")
    hotline(users.district, health, v3, {"suggested": "卫生计生"}, "d")  # in 涧池镇


def test_the_rate_is_scoped_and_per_period(users, territory, cats):
    _taken(users, territory, cats)
    url = "/api/v1/dispatch/acceptance"
    d = client_for(users.district).get(url).json()
    assert (d["shown"], d["accepted"], d["by_rank"], d["picked"]) == (4, 3, [2, 1, 0], 1)
    assert d["rate"] == 0.75
    s = client_for(users.street).get(url).json()  # 城关镇 only
    assert (s["shown"], s["accepted"], s["rate"]) == (3, 2, 0.6667)
    # another town's dispatcher sees only their town; asking for ours is refused
    o = client_for(users.other_street).get(url).json()
    assert (o["shown"], o["accepted"]) == (1, 1)
    r = client_for(users.other_street).get(url, {"region": territory.town1.code})
    assert r.status_code == 404
    r = client_for(users.other_district).get(url, {"region": territory.county.code})
    assert r.status_code == 404
    assert client_for(users.resident).get(url).status_code == 403
    assert client_for(users.department).get(url).status_code == 403
    assert client_for(users.district).get(url, {"days": 0}).status_code in (400, 422)
    # a period before the cases: nothing shown, no rate
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.dispatch import acceptance

    old = acceptance.acceptance(users.district, end=timezone.now() - timedelta(days=8))
    assert (old["shown"], old["rate"]) == (0, None)


def test_the_command_wall_shows_the_rate(users, territory, cats):
    _taken(users, territory, cats)
    page = client_for(users.district).get("/command/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dispatch-acceptance"' in html
    assert 'data-rate="0.75"' in html and "3 / 4" in html
    street = client_for(users.street).get("/command/").content.decode()
    assert 'data-rate="0.6667"' in street


def test_the_report_form_loads_suggestions_for_staff_only(users, cats):
    grid = client_for(users.grid_worker).get("/cases/report/").content.decode()
    assert "dispatch/suggest.js" in grid
    resident = client_for(users.resident).get("/cases/report/").content.decode()
    assert "dispatch/suggest.js" not in resident
