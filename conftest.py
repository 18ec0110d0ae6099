"""Shared fixtures: a small territory with one user per role, and a second territory
whose users must be refused everything in the first (healthchecks' owner/member/outsider)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("JICENG_SHARED_DATA", Path(__file__).parent / ".." / "shared" / "data")
)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """PBKDF2 costs ~0.3 s per user; tests create many users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _rollups_in_the_committing_thread():
    """Servers apply the command centre's rollups in a background thread (decision 0075),
    which would write outside a test's transaction: tests apply them where the commit
    hooks run, as before; the cases and command tests queue them and flush (their conftest)."""
    from jiceng.command import rollup_queue

    rollup_queue.set_mode("now")


@pytest.fixture(autouse=True, scope="session")
def _english_catalogue():
    """Compile the English catalogue like ./dev does, so a bare `pytest` sees it too."""
    import shutil
    import subprocess

    for po in (Path(__file__).parent / "jiceng" / "locale").glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        if shutil.which("msgfmt") is None:
            pytest.fail("msgfmt not found: `./dev test` installs it (apt-get install gettext)")
        subprocess.run(["msgfmt", "--check", "-o", str(mo), str(po)], check=True)
        # Django caches catalogues per process; drop them so the new .mo is read.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set JICENG_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def territory(db):
    """汉阴县 with two towns, two villages each, and grids in three levels in 城关镇's first village."""
    from jiceng.testing import build_small_territory

    return build_small_territory()


@pytest.fixture
def users(territory):
    """One user per role, scoped inside `territory`, plus outsiders in another county."""
    from jiceng.testing import build_users

    return build_users(territory)


CHROMIUM = os.environ.get("JICENG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright — never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `./dev test` installs it (apt-get install chromium)"
        )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def _browser_page(browser, request, **context_options):
    """A fresh browser context; a screenshot of the last state lands in test-artifacts/."""
    context = browser.new_context(locale="zh-CN", **context_options)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception:
        pass  # a failed screenshot must not hide the test's own result
    context.close()


@pytest.fixture
def page(browser, request):
    """A desktop page."""
    yield from _browser_page(browser, request, viewport={"width": 1366, "height": 900})


@pytest.fixture
def phone_page(browser, request):
    """A 390×844 phone (the grid worker's)."""
    yield from _browser_page(
        browser,
        request,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def login(live_server):
    """login(page, username) logs a user in through the real login form."""
    from jiceng.testing import PASSWORD

    def _login(pg, username: str, password: str = PASSWORD) -> None:
        pg.goto(f"{live_server.url}/accounts/login/")
        pg.fill("#id_username", username)
        pg.fill("#id_password", password)
        pg.click("button[type=submit]")
        pg.wait_for_load_state()

    return _login


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language (Chinese). A request served in
    English activates English in the thread (the language middleware) and nothing resets
    it: a later test that checks Chinese text then depends on which test ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """In-process caches (the county's extent for intake) kept by one test must not answer
    the next one, whose database was rolled back."""
    from jiceng.cases.intake import forget_county_box

    forget_county_box()
    yield


def pytest_configure(config):
    """JICENG_TEST_CLOCK=<ISO time> runs the suite with the clock moved there (and ticking):
    a suite that passes only at some hours fails at others, so CI also runs it at local
    00:05 on the first of a month, when the machine's UTC date is still the day before
    (docs/decisions/0104). Each xdist worker reads this conftest, so each travels. The
    browser's own clock is not moved (Playwright's fake timers made the pages' polling
    behave unlike a real browser's)."""
    at = os.environ.get("JICENG_TEST_CLOCK")
    if at:
        import time_machine

        config._jiceng_clock = time_machine.travel(at, tick=True)  # type: ignore[attr-defined]
        config._jiceng_clock.start()  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("JICENG_TEST_CLOCK"):
        return
    skip = pytest.mark.skip(reason="reads the real clock; runs in the suite's real-time run")
    for item in items:
        if item.get_closest_marker("real_clock"):
            item.add_marker(skip)
