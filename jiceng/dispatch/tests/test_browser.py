"""The suggestion page and the hot-words page in Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiceng.cases import services as cases
from jiceng.cases.models import Category

from .conftest import FIXTURES

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_sees_suggestions_while_typing(live_server, page, login, users, model_dir):
    call_command(
        "routing",
        "train",
        "--labelled",
        str(FIXTURES / "labelled.csv"),
        "--replies",
        str(FIXTURES / "replies.csv"),
        "--county",
        "",
    )
    Category.objects.create(
        code="03",
        name="劳动和社会保障",
        path="劳动和社会保障",
        depth=1,
        handling_unit=users.other_dept,
    )
    login(page, "street")
    page.goto(f"{live_server.url}/dispatch/suggest/")
    page.wait_for_load_state("networkidle")  # the script and its style sheet
    # nothing typed yet: no empty box under the description (its display:flex once beat
    # the `hidden` attribute and drew an empty blue bar on the hotline and report forms)
    assert page.locator(".dispatch-suggest").is_hidden()
    page.fill("textarea[name=description]", "建筑工地老板拖欠我们十几个农民工半年工资")
    page.wait_for_selector(".dispatch-chip")
    chips = page.locator(".dispatch-chip")
    # only what the county's tree has (or the form lists) is offered: the finer level the
    # model knows (劳动和社会保障/…) is not in this tree, so the top category comes first
    labels = [chips.nth(i).inner_text() for i in range(chips.count())]
    assert labels[0].startswith("劳动和社会保障 "), labels
    assert not any("/" in x for x in labels), labels
    page.wait_for_selector(".dispatch-unit >> text=汉阴县水利局")
    chips.nth(0).click()
    assert page.eval_on_selector("select[name=category]", "s => s.value") == "03"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hot_words_page_draws_charts(live_server, phone_page, login, users, territory):
    now = timezone.now()
    for i in range(6):
        cases.intake(
            channel="hotline",
            request_type="complaint",
            category=None,
            description=f"城关社区夜市烧烤油烟扰民，第{i}次反映",
            title="夜市油烟",
            region_code=territory.village1.code,
            user=users.district,
            now=now - timedelta(days=1 + i % 3),
        )
    for i in range(8):
        cases.intake(
            channel="hotline",
            request_type="complaint",
            category=None,
            description="小区路灯坏了没人修",
            title="路灯",
            region_code=territory.village1.code,
            user=users.district,
            now=now - timedelta(days=9 + i),
        )
    login(phone_page, "street")
    phone_page.goto(f"{live_server.url}/dispatch/hotwords/")
    phone_page.wait_for_selector("#rising-chart[data-drawn] svg")
    assert "油烟" in phone_page.inner_text("table.hot")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clicked_suggestion_is_recorded_and_counted_on_the_wall(
    live_server, page, login, users, territory, model_dir
):
    from jiceng.dispatch.models import SuggestionOutcome
    from jiceng.testing import wait_js

    call_command(
        "routing",
        "train",
        "--labelled",
        str(FIXTURES / "labelled.csv"),
        "--replies",
        str(FIXTURES / "replies.csv"),
        "--county",
        "",
    )
    Category.objects.create(code="03", name="劳动和社会保障", path="劳动和社会保障", depth=1)
    Category.objects.create(code="01", name="城乡建设", path="城乡建设", depth=1)
    login(page, "street")
    page.goto(f"{live_server.url}/cases/hotline/")
    page.fill("#phone", "13900001111")
    page.fill("textarea[name=description]", "建筑工地老板拖欠我们十几个农民工半年工资")
    page.wait_for_selector(".dispatch-chip")
    wait_js(page, "document.querySelector('input[name=suggested]')?.value.length > 0")
    shown = page.eval_on_selector("input[name=suggested]", "i => i.value").split("|")
    # what was offered: the model's top three as far as the county's tree has them
    assert shown[0] == "劳动和社会保障" and set(shown) <= {"劳动和社会保障", "城乡建设"}, shown
    # the top suggestion's chip ("劳动和社会保障 NN%"), not the finer level's
    page.locator(".dispatch-chip").filter(has_text=re.compile(r"^劳动和社会保障 \d")).click()
    assert page.eval_on_selector("input[name=suggestion_accepted]", "i => i.value") == "1"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=已受理立案")
    o = SuggestionOutcome.objects.get()
    assert (o.rank, o.picked, o.category_path) == (1, True, "劳动和社会保障")
    page.goto(f"{live_server.url}/command/")
    page.wait_for_selector("#dispatch-acceptance")
    assert "100%" in page.inner_text("#dispatch-acceptance")
    page.locator("#dispatch-acceptance").screenshot(path=str(ARTIFACTS / "dispatch-acceptance.png"))
