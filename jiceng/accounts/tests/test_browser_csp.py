"""The Content-Security-Policy blocks nothing the pages need (issue 9 item 5): the hotline's
look-up, the grid map, the resident's tag form and the print button run their scripts, and
the browser reports no CSP violation. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest

from jiceng.cases import services


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_their_scripts_under_the_policy(live_server, page, login, users, cats, in_grid):
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    earlier = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="上个月反映过的路面坑洞",
        reporter_phone="13911112222",
        user=users.street,
        **in_grid,
    )
    login(page, "street")
    page.goto(f"{live_server.url}/cases/hotline/")
    page.fill("#phone", "13911112222")
    page.wait_for_selector(f"#earlier >> text={earlier.number}")  # inline script with nonce
    page.screenshot(path="test-artifacts/csp-hotline.png", full_page=True)
    page.goto(f"{live_server.url}/territory/map/")
    page.wait_for_selector("#map-status:has-text('个网格')")  # map.js drew the grids
    page.screenshot(path="test-artifacts/csp-map.png", full_page=True)
    page.context.clear_cookies()
    login(page, "resident")
    page.goto(f"{live_server.url}/cases/report/")
    page.wait_for_selector(".leaflet-container")  # the report map's inline script ran
    page.wait_for_load_state("networkidle")
    page.screenshot(path="test-artifacts/csp-report.png", full_page=True)
    assert not violations, violations
