"""Issue 17 item 13 in a browser: the grid worker opens a household on the phone, and the
auditor, on a desktop, finds that one view — one row listing the people — by a member's
name, in Chinese and in English. Screenshots: test-artifacts/people-access-log-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.accounts.models import AccessLog

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_phone_household_view_is_one_row_the_auditor_finds_by_name(
    live_server, page, phone_page, login, users, people
):
    base = live_server.url
    login(phone_page, "gridworker")
    phone_page.goto(f"{base}/people/m/h/{people.h1.id}/")
    assert people.spouse.name in phone_page.content()
    assert AccessLog.objects.count() == 1

    login(page, "auditor")
    page.goto(f"{base}/people/access-log/")
    page.fill("input[name=subject]", people.spouse.name)
    page.click("form.toolbar button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "HY-A-001" in rows.first.inner_text()
    assert "查看了 2 人：张秀兰、王德福" in rows.first.inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "people-access-log-zh.png"), full_page=True)

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.reload()
    assert "viewed 2 people: 张秀兰、王德福" in page.locator("tbody tr").first.inner_text()
    page.screenshot(path=str(SHOTS / "people-access-log-en.png"), full_page=True)
