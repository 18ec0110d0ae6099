"""A user with an English browser still gets Chinese, switches to English, and back."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.testing import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _log_in(pg, url: str, username: str) -> None:
    pg.goto(f"{url}/accounts/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("viewport", "who", "where", "english", "chinese"),
    [
        ({"width": 1366, "height": 900}, "district", "/people/overview/", "Households", "户数"),
        (
            {"width": 390, "height": 844},
            "grid_worker",
            "/people/m/",
            "Find the household to visit",
            "找到要走访的户",
        ),
    ],
    ids=["desktop", "phone"],
)
def test_switching_language_is_remembered_across_pages_and_login(
    browser, live_server, users, viewport, who, where, english, chinese
):
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"i18n-{'phone' if viewport['width'] < 500 else 'desktop'}"
    # An English-speaking browser: Accept-Language en-US must not change the default.
    context = browser.new_context(locale="en-US", viewport=viewport)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        pg.goto(f"{live_server.url}/accounts/login/")
        assert pg.locator("h1").inner_text() == "登录"
        assert pg.locator("html").get_attribute("lang") == "zh-CN"

        pg.click("#lang-switch button")  # "English"
        pg.wait_for_load_state()
        assert pg.locator("h1").inner_text() == "Log in"
        assert pg.url.endswith("/accounts/login/")  # back on the same page
        pg.screenshot(path=str(ARTIFACTS / f"{name}-login-en.png"), full_page=True)

        # The choice survives logging in (a cookie, not the session that login rotates).
        _log_in(pg, live_server.url, getattr(users, who).username)
        pg.goto(f"{live_server.url}{where}")
        body = pg.locator("main").inner_text()
        assert english in body and chinese not in body
        assert "Log out" in pg.locator("header").inner_text()
        pg.screenshot(path=str(ARTIFACTS / f"{name}-page-en.png"), full_page=True)

        pg.click("#lang-switch button")  # "中文"
        pg.wait_for_load_state()
        assert where in pg.url  # back on the same page
        body = pg.locator("main").inner_text()
        assert chinese in body and english not in body
        pg.screenshot(path=str(ARTIFACTS / f"{name}-page-zh.png"), full_page=True)
    finally:
        context.close()
