"""In a browser: a village clerk takes an application with missing materials (one notice
lists them all), the town reviews, the county decides; the applicant follows and rates it
on a phone; a proxy agent works from a phone."""

from __future__ import annotations

import pytest

from jiceng.servicehall import proxy
from jiceng.servicehall.models import Application, Rating

SHOTS = "test-artifacts"


def relogin(pg, login, username):
    pg.context.clear_cookies()
    login(pg, username)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_village_clerk_town_reviewer_and_county_decider_finish_an_application(
    page, login, live_server, hall
):
    pg = page
    login(pg, hall.village_clerk.username)
    pg.goto(f"{live_server.url}/servicehall/desk/")
    pg.select_option("#item", "MZ-001")
    pg.wait_for_load_state()
    pg.fill("#applicant_name", "任春早")
    pg.fill("#applicant_phone", "13912345678")
    pg.select_option("select[aria-label='居民身份证']", "missing")
    pg.select_option("select[aria-label='户口簿']", "missing")
    pg.screenshot(path=f"{SHOTS}/servicehall-desk-intake.png", full_page=True)
    pg.click("#intake button[type=submit]")
    pg.wait_for_load_state()
    notice = pg.locator("#notice").inner_text()
    assert "1. 居民身份证" in notice and "2. 户口簿" in notice
    assert "材料不齐，已生成一次性告知书" in pg.content()
    pg.screenshot(path=f"{SHOTS}/servicehall-one-time-notice.png", full_page=True)
    # the applicant comes back with both: the clerk ticks them, the application is taken in
    pg.check("input[name=material_ids] >> nth=0")
    pg.check("input[name=material_ids] >> nth=1")
    pg.click("button[data-move=supplement]")
    pg.wait_for_load_state()
    assert "已受理" in pg.locator("h1").inner_text()
    pg.fill("#moves input[aria-label='审核通过，报上级意见']", "村级初审材料齐全")
    pg.click("button[data-move=pass]")
    pg.wait_for_load_state()
    number = pg.locator("#number").inner_text()

    relogin(pg, login, hall.town_clerk.username)
    pg.goto(f"{live_server.url}/servicehall/desk/")
    assert number in pg.locator("#queue").inner_text()
    pg.goto(f"{live_server.url}/servicehall/whereabouts/")
    pg.select_option("#status", "out")
    pg.fill("#note", "到五一村核查")
    pg.click("#my-status button")
    pg.wait_for_load_state()
    assert "外出办事" in pg.locator("#board").inner_text()
    pg.screenshot(path=f"{SHOTS}/servicehall-whereabouts.png", full_page=True)
    pg.goto(f"{live_server.url}/servicehall/desk/")
    pg.click(f"#queue a:has-text('{number}')")
    pg.wait_for_load_state()
    pg.click("button[data-move=pass]")
    pg.wait_for_load_state()

    relogin(pg, login, hall.county_clerk.username)
    pg.goto(f"{live_server.url}/servicehall/a/{number}/")
    pg.fill("#moves input[aria-label='办结意见']", "符合条件，同意发放")
    pg.click("button[data-move=approve]")
    pg.wait_for_load_state()
    history = pg.locator("#history").inner_text()
    for label in ("一次性告知", "补齐材料", "审核通过，报上级", "办结"):
        assert label in history
    assert "在承诺时限内办结" in history
    pg.screenshot(path=f"{SHOTS}/servicehall-application-done.png", full_page=True)
    app = Application.objects.get(number=number)
    assert app.status == "approved" and app.finished_at <= app.promised_due

    # the figures on the item's page (county clerk sees the whole county)
    pg.goto(f"{live_server.url}/servicehall/item/MZ-001/")
    figures = pg.locator("#figures").inner_text()
    assert "提速率" in figures and "75%" in figures
    pg.screenshot(path=f"{SHOTS}/servicehall-item-figures.png", full_page=True)
    pg.goto(f"{live_server.url}/servicehall/board/")
    assert "城关镇" in pg.locator("#towns").inner_text()
    pg.screenshot(path=f"{SHOTS}/servicehall-board.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_applicant_follows_signs_and_rates_on_a_phone(phone_page, live_server, hall):
    from jiceng.servicehall import applications as apps
    from jiceng.servicehall.tests.test_applications import form, mv

    app = apps.intake(hall.village_clerk, form(hall, "RS-001"))
    pg = phone_page
    pg.goto(f"{live_server.url}/servicehall/track/")
    pg.fill("#number", app.number)
    pg.fill("#phone", app.applicant_phone)
    pg.click("button.primary")
    pg.wait_for_load_state()
    assert "城乡居民基本养老保险参保登记" in pg.content()
    pg.locator("#pad").scroll_into_view_if_needed()  # below the materials on a phone
    box = pg.locator("#pad").bounding_box()
    assert box is not None
    pg.mouse.move(box["x"] + 30, box["y"] + 60)
    pg.mouse.down()
    for i in range(1, 12):
        pg.mouse.move(box["x"] + 30 + i * 20, box["y"] + 60 + (i % 3) * 25)
    pg.mouse.up()
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-sign.png", full_page=True)
    pg.click("#sign-form button.primary")
    pg.wait_for_load_state()
    assert "签名已保存" in pg.content(), pg.locator("main").inner_text()[:300]
    app.refresh_from_db()
    assert app.signature.startswith("data:image/png;base64,") and app.signed_hash
    mv(hall.village_clerk, app, "pass")
    mv(hall.town_clerk, app, "approve")
    pg.goto(f"{live_server.url}/servicehall/track/")
    pg.fill("#number", app.number)
    pg.fill("#phone", app.applicant_phone)
    pg.click("button.primary")
    pg.wait_for_load_state()
    pg.check("input[name=score][value='5']")
    pg.click("#rate-form button.primary")
    pg.wait_for_load_state()
    assert "感谢您的评价" in pg.content()
    assert Rating.objects.get(application=app).score == 5
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-track.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_proxy_agent_takes_a_home_visit_booking_on_a_phone(phone_page, login, live_server, hall):
    from jiceng.servicehall.tests.test_ratings_proxy import req

    booking = proxy.request(req(hall, wanted_on=None))
    pg = phone_page
    login(pg, hall.agent_user.username)
    pg.goto(f"{live_server.url}/servicehall/agent/")
    card = pg.locator("#requests li").first
    assert "王德福" in card.inner_text()
    act = card.locator("a.act").last
    b = act.bounding_box()
    assert b is not None and b["height"] >= 44 and b["width"] >= 300  # thumb-sized
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-agent.png", full_page=True)
    act.click()
    pg.wait_for_load_state()
    assert pg.input_value("#applicant_name") == "王德福"
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391  # the desk fits a phone
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-agent-form.png", full_page=True)
    pg.click("#intake button[type=submit]")
    pg.wait_for_load_state()
    assert "已受理" in pg.content()
    booking.refresh_from_db()
    assert booking.status == "done" and booking.application.channel == "home"
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-agent-intake.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_applicant_uploads_what_the_notice_lists_on_a_phone(
    phone_page, live_server, hall, settings, tmp_path
):
    import io

    from PIL import Image

    from jiceng.servicehall import applications as apps
    from jiceng.servicehall.tests.test_applications import form, mv

    settings.DATA_DIR = tmp_path
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (220, 220, 230)).save(buf, "JPEG")
    photo = tmp_path / "IMG_2031.JPG"
    photo.write_bytes(buf.getvalue())
    text = tmp_path / "户口簿.pdf"
    text.write_bytes(b"not a pdf at all")
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states={"居民身份证": "missing",
                      "户口簿": "missing"}))  # fmt: skip
    pg = phone_page
    pg.goto(f"{live_server.url}/servicehall/track/")
    pg.fill("#number", app.number)
    pg.fill("#phone", app.applicant_phone)
    pg.click("button.primary")
    pg.wait_for_load_state()
    assert "1. 居民身份证" in pg.locator("#notice").inner_text()
    # a file that is not what its name says: a Chinese error, nothing stored
    forms = pg.locator("#my-materials form.sh-upload")
    forms.nth(1).locator("input[type=file]").set_input_files(str(text))
    forms.nth(1).locator("button").click()
    pg.wait_for_load_state()
    assert "不是 PDF、JPEG 或 PNG" in pg.locator("#track-error").inner_text()
    for _i in range(2):  # the first missing material each time (the list shrinks)
        pg.locator("#my-materials form.sh-upload").first.locator("input[type=file]"
                                                               ).set_input_files(str(photo))  # fmt: skip
        pg.locator("#my-materials form.sh-upload").first.locator("button").click()
        pg.wait_for_load_state()
        assert "已上传「IMG_2031.jpg」" in pg.content()
    assert pg.locator("#my-materials form.sh-upload").count() == 0
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    pg.screenshot(path=f"{SHOTS}/servicehall-phone-upload.png", full_page=True)
    assert app.files.count() == 2
    # the window takes it in without ticking anything: everything was uploaded
    app = mv(hall.village_clerk, app, "supplement")
    assert app.status == "accepted" and app.promised_due is not None
