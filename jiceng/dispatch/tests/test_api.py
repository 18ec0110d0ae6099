"""POST /api/v1/dispatch/suggest through the API, with scope and bad input."""

import json

import pytest

from jiceng.cases.models import Category, DispatchRule
from jiceng.testing import client_for

URL = "/api/v1/dispatch/suggest"


def post(user, body, raw=False):
    data = body if raw else json.dumps(body)
    return client_for(user).post(URL, data=data, content_type="application/json")


@pytest.fixture
def tree(users, territory):
    build = Category.objects.create(
        code="01", name="城乡建设", path="城乡建设", depth=1, handling_unit=users.dept
    )
    sub = Category.objects.create(
        code="0101",
        name="城市建设和市政管理",
        path="城乡建设/城市建设和市政管理",
        parent=build,
        depth=2,
    )
    Category.objects.create(code="02", name="劳动和社会保障", path="劳动和社会保障", depth=1)
    # in 涧池镇 the water bureau leads 城乡建设 matters (the most specific rule wins)
    DispatchRule.objects.create(
        category=build, region_prefix=territory.town2.code, lead_unit=users.other_dept
    )
    return build, sub


def test_staff_get_categories_scores_and_unit(trained, users, territory, tree):
    r = post(
        users.street,
        {"text": "小区路灯坏了两个星期，晚上回家很黑", "region_code": territory.village1.code},
    )
    assert r.status_code == 200, r.content
    d = r.json()
    assert [c["category"] for c in d["categories"]][0] == "城乡建设"
    assert len(d["categories"]) == 3
    assert abs(sum(c["score"] for c in d["categories"])) <= 1.0001
    assert d["categories"][0]["code"] == "01"
    assert d["unit"] == {"code": users.dept.code, "name": users.dept.name}
    assert d["model_version"] == 1
    # the same matter in 涧池镇 follows the town's dispatch rule
    town2 = territory.town2.code
    d2 = post(users.district, {"text": "村里路灯坏了没人修", "region_code": town2}).json()
    assert d2["unit"]["code"] == users.other_dept.code
    assert d2["server_ms"] < 500  # the model is loaded once per process


def test_finer_levels_come_from_the_tree(trained, users, tree):
    d = post(users.district, {"text": "城市公共设施路灯损坏，市政管理不到位"}).json()
    assert d["categories"][0]["category"] == "城乡建设"
    assert d["finer"] and d["finer"][0]["path"].startswith("城乡建设/")


@pytest.mark.parametrize("who", ["resident", "department", "auditor"])
def test_roles_without_intake_are_refused(trained, users, who):
    r = post(getattr(users, who), {"text": "小区路灯坏了"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_anonymous_is_refused(trained, client):
    r = client.post(URL, data=json.dumps({"text": "路灯坏了"}), content_type="application/json")
    assert r.status_code == 401


def test_a_place_outside_the_territory_is_refused(trained, users, territory):
    # a street dispatcher of 城关镇 cannot ask about 涧池镇 or another county
    for code in (territory.town2.code, territory.other_county.code):
        r = post(users.street, {"text": "路灯坏了", "region_code": code})
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "text,code",
    [
        ("", "text_empty"),
        ("。。。！！", "text_empty"),
        ("street light broken", "text_not_chinese"),
        ("路" * 20000, "text_too_long"),
        ("路灯\u0000坏了", "text_binary"),
    ],
)
def test_bad_text_gets_a_clear_error(trained, users, text, code):
    r = post(users.street, {"text": text})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


def test_malformed_json_is_a_validation_error(trained, users):
    r = post(users.street, b"\xff\xfe{not json", raw=True)
    assert r.status_code in (400, 422)
    assert "error" in r.json()


def test_no_model_is_503(model_dir, users):
    r = post(users.street, {"text": "路灯坏了很久"})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "no_model"


def test_openapi_declares_the_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/dispatch/suggest"]["post"]
    assert {"200", "400", "403", "404", "503"} <= set(op["responses"])


def test_the_hotline_form_loads_the_suggestions(users):
    """The operator gets suggestions on the form they take calls with, not on a side page."""
    from jiceng.testing import client_for

    html = client_for(users.street).get("/cases/hotline/").content.decode()
    assert 'dispatch/suggest.js" data-form="#hotline-form"' in html
