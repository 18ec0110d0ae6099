"""The hotline form is driven by the keyboard alone, and shows the caller's earlier cases."""

from __future__ import annotations

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case
from jiceng.testing import wait_js


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_takes_a_call_with_the_keyboard_only(live_server, page, login, users, cats):
    earlier = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="上个月反映过的路面坑洞",
        reporter_phone="13911112222",
        user=users.street,
        region_code="610921001001",
    )
    login(page, "street")
    page.goto(f"{live_server.url}/cases/hotline/")
    # The phone field has the focus on arrival (autofocus); wait for it rather than race it.
    wait_js(page, "document.activeElement && document.activeElement.id === 'phone'")
    page.keyboard.type("13911112222")  # a full number only (jiceng.accounts.lookups)
    page.wait_for_selector(f"#earlier >> text={earlier.number}")
    page.keyboard.press("Tab")
    page.keyboard.type("王秀英")
    page.keyboard.press("Tab")  # request type
    page.keyboard.press("Tab")  # category filter
    page.keyboard.type("垃圾")
    wait_js(page, "document.getElementById('category').options.length > 0")
    page.keyboard.press("Enter")  # into the filtered list, first match selected
    page.keyboard.press("Tab")  # region
    page.keyboard.press("Tab")
    page.keyboard.type("城关镇解放路菜市场")
    page.keyboard.press("Tab")
    page.keyboard.type("菜市场后门垃圾堆了三天没人清运，气味很大")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=已受理立案")
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.reporter_phone == "13911112222" and case.reporter_name == "王秀英"
    assert case.category == cats.litter and case.status == "registered"
    assert case.channel == "hotline" and case.address == "城关镇解放路菜市场"
