"""Every role's day in English (issue 17 item 17): the grid worker and the resident on a
390 px phone, the staff on a desktop, on the demo county. Each page a person reaches must
read in English — no Chinese left outside data (`test_language.leftover_chinese`), the
scripts' text included (they draw after load) — and the grouped menu must open with the
keyboard on a desktop and with a tap on a phone. Screenshots: test-artifacts/ux-*.png
(and JICENG_SHOTS, when set, e.g. /work/notes/shots)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jiceng.cases.models import Case, Status
from jiceng.lib.tests.test_language import leftover_chinese
from jiceng.testing import wait_js

SHOTS = [Path(__file__).resolve().parents[3] / "test-artifacts"]
if os.environ.get("JICENG_SHOTS"):
    SHOTS.append(Path(os.environ["JICENG_SHOTS"]))


def _shot(pg, name: str) -> None:
    for d in SHOTS:
        d.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(d / f"ux-{name}.png"), full_page=True)


def _english(pg, base: str) -> None:
    pg.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])


def _reads_english(pg) -> None:
    # A click that navigates may leave the old document or an empty new one for a moment
    # (CI once read '' here): wait for the new page to load before reading it.
    pg.wait_for_load_state("load")
    html = pg.content()
    for _ in range(50):
        if "<html" in html:
            break
        pg.wait_for_timeout(100)
        html = pg.content()
    assert '<html lang="en">' in html, pg.url
    assert leftover_chinese(html) == [], pg.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_role_walks_its_day_in_english(live_server, page, phone_page, login):
    from jiceng.core import demo

    demo.build(demo.DemoContext(scale=0.02))
    pw = demo.DEMO_PASSWORD
    base = live_server.url

    # -- the grid worker, on a phone: today's work, then the one-key alarm
    ph = phone_page
    _english(ph, base)
    login(ph, "grid", pw)
    assert ph.locator("#grid-day h1").inner_text() == "Today's work"
    _reads_english(ph)
    _shot(ph, "grid-home-phone")
    with ph.expect_navigation():
        ph.click("#grid-day >> text=One-key alarm")
    _reads_english(ph)
    ph.fill("input[name=description]", "有人落水")  # data: what the worker types stays as typed
    ph.click("button.alarm-btn")
    ph.wait_for_selector("text=Alarm sent")
    _reads_english(ph)
    _shot(ph, "grid-alarm-sent-phone")

    # -- the resident, on a phone: their cases, labelled as theirs, and the report form
    ph.context.clear_cookies()
    _english(ph, base)
    login(ph, "resident", pw)
    assert ph.url.rstrip("/").endswith("/cases")
    assert "My cases" in ph.locator("header nav").inner_text()
    assert ph.locator("h1").inner_text() == "My cases"
    _reads_english(ph)
    _shot(ph, "resident-cases-phone")
    with ph.expect_navigation():
        ph.click("header nav >> text=Report a problem")
    _reads_english(ph)
    _shot(ph, "resident-report-phone")

    # -- the district administrator on a phone: the grouped menu opens with a tap
    ph.context.clear_cookies()
    _english(ph, base)
    login(ph, "district", pw)
    groups = ph.locator("header nav details[data-navgroup]")
    assert groups.count() >= 5
    cases_group = ph.locator("header nav details[data-navgroup] >> summary:text-is('Cases')")
    cases_group.tap()
    assert ph.locator("header nav details[open] a >> text=Dispatch rules").is_visible()
    _shot(ph, "district-menu-phone")
    ph.locator("header nav details[open] a >> text=Dispatch rules").tap()
    ph.wait_for_url("**/cases/rules/")
    _reads_english(ph)

    # -- the street dispatcher, desktop: lands on the wall; the menu with the keyboard;
    #    a hotline call registered with Ctrl+Enter
    _english(page, base)
    login(page, "street", pw)
    assert "/command/" in page.url
    wait_js(
        page,
        "document.getElementById('live-state') === null || "
        "!/[\\u4e00-\\u9fff]/.test(document.getElementById('live-state').textContent)",
    )
    _reads_english(page)
    _shot(page, "street-wall")
    summary = page.locator("header nav details[data-navgroup] > summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("header nav details[open]").count() == 1
    first_link = page.locator("header nav details[open] a").first
    page.keyboard.press("Tab")
    assert first_link.evaluate("a => a === document.activeElement")
    _shot(page, "street-menu-keyboard")
    page.keyboard.press("Escape")
    assert page.locator("header nav details[open]").count() == 0
    assert summary.evaluate("s => s === document.activeElement")
    page.goto(f"{base}/cases/hotline/")
    _reads_english(page)
    before = Case.objects.filter(channel="hotline").count()
    page.fill("#phone", "13991500123")
    page.select_option("#category", index=0)
    page.fill("textarea[name=description]", "楼下餐馆油烟直排，影响居民开窗")
    page.locator("textarea[name=description]").press("Control+Enter")
    page.wait_for_selector("text=Registered; tell the caller the number")
    assert Case.objects.filter(channel="hotline").count() == before + 1
    _reads_english(page)
    _shot(page, "street-hotline")

    # -- the department, desktop: its inbox, a case, a return that lands back in the inbox
    page.context.clear_cookies()
    _english(page, base)
    login(page, "dept", pw)
    assert page.url.endswith("/cases/inbox/")
    _reads_english(page)
    _shot(page, "dept-inbox")
    from jiceng.accounts.models import User

    dept = User.objects.select_related("unit").get(username="dept")
    case = Case.objects.filter(unit=dept.unit, status=Status.DISPATCHED).first()
    assert case is not None
    page.goto(f"{base}/cases/{case.number}/")
    _reads_english(page)
    _shot(page, "dept-case")
    page.locator("#move-return").evaluate("e => { e.open = true; }")
    page.fill("#move-return textarea[name=reason]", "不属于本单位职责，请改派")
    page.click("#move-return button.primary")
    page.wait_for_selector("text=passed on")
    assert page.url.endswith("/cases/inbox/")
    _reads_english(page)

    # -- the district administrator, desktop: the wall, the assessment, the metrics
    page.context.clear_cookies()
    _english(page, base)
    login(page, "district", pw)
    _reads_english(page)
    for url, name in [("/cases/", "district-cases"), ("/assessment/", "district-assessment"),
                      ("/assessment/metrics/", "district-metrics")]:  # fmt: skip
        page.goto(base + url)
        _reads_english(page)
        _shot(page, name)
