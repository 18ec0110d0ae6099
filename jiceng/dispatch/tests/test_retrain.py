"""Retraining from the county's closed cases (their final category is the label)."""

import io

import pytest
from django.core.management import call_command

from jiceng.accounts.models import Unit, UnitKind
from jiceng.cases import services as cases
from jiceng.cases.models import Category
from jiceng.dispatch import store

from .conftest import FIXTURES

BUILD = ["小区垃圾堆放没人清运，臭味很大", "楼下路灯坏了一个月", "道路坑洼积水", "井盖丢失很危险"]
WAGES = ["老板拖欠三个月工资不发", "单位不交社保", "农民工工资被包工头卷走", "辞退不给经济补偿"]


@pytest.fixture
def closed(users, territory):
    t = territory
    for code, name, kind, region in [
        (t.county.code, "汉阴县综治中心", UnitKind.DISTRICT, t.county),
        (t.town1.code, "城关镇综治中心", UnitKind.STREET, t.town1),
        (t.village1.code, "城关社区居委会", UnitKind.COMMUNITY, t.village1),
    ]:
        Unit.objects.create(code=code, name=name, kind=kind, region=region)
    build = Category.objects.create(code="01", name="城乡建设", path="城乡建设", grid_can_fix=True)
    wage = Category.objects.create(
        code="02", name="劳动和社会保障", path="劳动和社会保障", grid_can_fix=True
    )
    n = 0
    for cat, texts in ((build, BUILD), (wage, WAGES)):
        for text in texts:
            c = cases.intake(
                channel="grid",
                request_type="report",
                category=cat,
                description=text,
                user=users.grid_worker,
                region_code=t.grid3a.code,
            )
            cases.transition(c, "close_on_spot", user=users.grid_worker, reason="已处理")
            n += 1
    # an open case is not a label
    cases.intake(
        channel="grid",
        request_type="report",
        category=wage,
        description="这一件还没有办结，类别不算数",
        user=users.grid_worker,
        region_code=t.grid3a.code,
    )
    return n


def test_retrain_learns_from_closed_cases(closed, model_dir):
    out = io.StringIO()
    call_command("routing", "retrain", stdout=out)
    entry = store.current_entry("610921")
    assert entry["source"] == "cases:8"
    assert entry["info"]["labelled"] == 8
    assert set(entry["info"]["classes"]) == {"城乡建设", "劳动和社会保障"}
    model = store.load("610921")
    assert model.predict_many(["包工头拖欠工资"], 1)[0][0][0] == "劳动和社会保障"


def test_retrain_adds_imported_history(closed, model_dir):
    call_command(
        "routing",
        "retrain",
        "--labelled",
        str(FIXTURES / "labelled.csv"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    entry = store.current_entry("610921")
    assert entry["info"]["labelled"] == 8 + 32
    assert len(entry["info"]["classes"]) == 4


def test_retrain_without_cases_is_a_clear_error(users, model_dir):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="两个类别"):
        call_command("routing", "retrain", stdout=io.StringIO())
