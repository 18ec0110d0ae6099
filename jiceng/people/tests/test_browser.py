"""A grid worker on a 390×844 phone finds a household and records a visit."""

import pytest

from jiceng.people.models import Visit


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_finds_a_household_on_a_phone_and_records_a_visit(
    phone_page, login, live_server, users, people
):
    pg = phone_page
    login(pg, users.grid_worker.username)
    pg.goto(f"{live_server.url}/people/m/")
    pg.fill("input[name=q]", "张秀兰")
    pg.click("button:has-text('找')")
    card = pg.locator(".m-list a").first
    assert "张秀兰家" in card.inner_text()
    box = card.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 300  # a thumb-sized target
    card.click()
    pg.wait_for_load_state()
    assert "记录走访" in pg.content()
    pg.check("input[value=home]")
    pg.fill("#found", "老人腿脚不便，需代办医保报销")
    pg.fill("#follow", "下周带材料上门")
    submit = pg.locator(".m-submit button")
    sbox = submit.bounding_box()
    assert sbox is not None and sbox["height"] >= 48 and sbox["width"] >= 300
    pg.screenshot(path="test-artifacts/people-phone-visit-form.png", full_page=True)
    submit.click()
    pg.wait_for_load_state()
    assert "/people/m/h/" in pg.url  # the grid worker stays on the phone page (issue 17)
    visits = pg.locator("#visits")
    assert "老人腿脚不便，需代办医保报销" in visits.inner_text()
    assert "走访记录已保存" in pg.content()
    assert Visit.objects.get().visitor == users.grid_worker
    # the page fits the phone: nothing wider than the screen
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_excel_export_shows_its_progress_and_downloads_when_ready(
    page, login, live_server, users, people
):
    """Issue 17 item 8: the person sees the export's progress, then gets the file."""
    from openpyxl import load_workbook

    from jiceng.lib import idcard
    from jiceng.testing import wait_js

    pg = page
    login(pg, users.street.username)
    pg.goto(f"{live_server.url}/people/overview/{people.h1.grid_code}/")
    with pg.expect_download() as dl:
        pg.click("a:has-text('导出 Excel')")
    assert "/people/exports/" in pg.url
    wait_js(pg, "!document.getElementById('export-download').hidden")
    assert "已完成" in pg.inner_text("#export-status")
    assert pg.evaluate("document.getElementById('export-progress').value") == 2
    pg.screenshot(path="test-artifacts/people-export-job.png", full_page=True)
    download = dl.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as f:
        ws = load_workbook(f).active
    ids = [row[7] for row in ws.iter_rows(values_only=True)]
    assert idcard.mask(people.r1.id_number) in ids and people.r1.id_number not in ids
