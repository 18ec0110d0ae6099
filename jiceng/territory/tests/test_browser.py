"""In a real browser: a street dispatcher finds a grid on the map and its worker's card."""

from __future__ import annotations

import pytest

from jiceng.territory.models import GridStaff

ARTIFACTS = "test-artifacts"


def _find_grid_and_open_its_card(pg, live_server, login, name_prefix):
    from pathlib import Path

    login(pg, "street")
    pg.goto(f"{live_server.url}/territory/map/")
    pg.wait_for_selector("#map[data-loaded='1']")
    assert "共 4 个网格" in pg.inner_text("#map-status")
    pg.fill("#grid-q", "城关社区第1网格")
    pg.click("#grid-search-btn")
    pg.get_by_role("button", name="城关社区第1网格（3级）").click()
    link = pg.get_by_role("link", name="打开网格页 ›")
    link.wait_for()
    Path(ARTIFACTS).mkdir(exist_ok=True)
    pg.screenshot(path=f"{ARTIFACTS}/{name_prefix}-territory-map.png")
    link.click()
    pg.wait_for_load_state()
    assert pg.locator("h1").inner_text().startswith("城关社区第1网格")
    card = pg.locator(".contact-card").first
    assert "陈晓梅" in card.inner_text() and "网格员" in card.inner_text()
    assert card.locator("a[href='tel:13991500001']").count() == 1
    pg.screenshot(path=f"{ARTIFACTS}/{name_prefix}-territory-grid.png", full_page=True)


@pytest.fixture
def staffed(users, territory):
    GridStaff.objects.create(
        grid=territory.grid3a, role="grid_worker", name="陈晓梅", phone="13991500001"
    )
    return territory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_street_dispatcher_finds_a_grid_on_the_map_and_sees_its_contact_card(
    page, live_server, login, staffed
):
    _find_grid_and_open_its_card(page, live_server, login, "desktop")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_same_works_on_a_phone(phone_page, live_server, login, staffed):
    _find_grid_and_open_its_card(phone_page, live_server, login, "phone")
