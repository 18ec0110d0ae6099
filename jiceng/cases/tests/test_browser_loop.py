"""The whole loop in a browser: a resident reports on a phone, the street dispatches, the
department handles, the street closes, the resident rates, and the rating shows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from jiceng.cases.models import Case, ReturnVisit, Status
from jiceng.testing import wait_js

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _open(pg, move):
    pg.locator(f"#move-{move}").evaluate("e => { e.open = true; }")


def _shot(pg, name):
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"cases-loop-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_whole_loop_runs_in_a_browser(
    live_server, browser, phone_page, login, users, units, cats, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    # 1. the resident reports on a phone: map click, a photo
    pg = phone_page
    login(pg, "resident")
    pg.goto(f"{live_server.url}/cases/report/")
    pg.select_option("#category", cats.road.code)
    pg.fill("textarea[name=description]", "城关社区门口的路面塌了一个大坑，晚上很危险")
    wait_js(pg, "document.querySelector('#map').dataset.ready === '1'")
    pg.locator("#map").scroll_into_view_if_needed()
    box = pg.locator("#map").bounding_box()
    # the map fits the county (108.4–108.6, 32.8–33.0): this spot is inside 城关社区, well
    # away from every edge (the middle of the map is on 城关镇's northern edge)
    pg.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.85)
    assert pg.input_value("#lon")
    pg.fill("input[name=address]", "城关镇解放路12号")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 120)).save(buf, "JPEG")
    pg.set_input_files(
        "input[name=photo]",
        files=[{"name": "hole.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}],
    )
    _shot(pg, "1-report")
    pg.click("button[type=submit].primary")
    pg.wait_for_selector("text=已提交")
    case = Case.objects.get()
    assert case.region_code.startswith("610921001") and case.attachments.count() == 1
    _shot(pg, "2-resident-case")

    # 2. the street registers and dispatches
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = ctx.new_page()
    desk.set_default_timeout(15000)
    login(desk, "street")
    desk.goto(f"{live_server.url}/cases/board/")
    desk.click(f"text={case.number}")
    desk.click("#move-register button.primary")
    desk.wait_for_selector("text=已受理立案")
    _open(desk, "dispatch")
    desk.select_option("#move-dispatch select[name=unit]", users.dept.code)
    desk.click("#move-dispatch button.primary")
    desk.wait_for_selector("text=已派单")
    _shot(desk, "3-dispatched")

    # 3. the department accepts and reports its handling
    ctx.clear_cookies()
    login(desk, "department")
    desk.goto(f"{live_server.url}/cases/inbox/")
    desk.click(f"text={case.number}")
    desk.click("#move-accept button.primary")
    desk.wait_for_selector("text=已签收")
    _open(desk, "report_handling")
    desk.fill("#move-report_handling textarea[name=reason]", "已组织施工队回填修补，路面恢复通行")
    desk.click("#move-report_handling button.primary")
    desk.wait_for_selector("text=已处理反馈")

    # 4. the street verifies and closes
    ctx.clear_cookies()
    login(desk, "street")
    desk.goto(f"{live_server.url}/cases/{case.number}/")
    desk.click("#move-verify_close button.primary")
    desk.wait_for_selector("text=已核查结案")
    assert Case.objects.get().status == Status.CLOSED

    # 5. the resident rates on the public page (no login)
    anon = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
    )
    pub = anon.new_page()
    pub.goto(f"{live_server.url}/cases/track/")
    pub.fill("input[name=number]", case.number)
    pub.fill("input[name=phone]", "13800000001")
    pub.click("button.primary")
    pub.wait_for_selector("#rate-form")
    pub.check("input[name=satisfaction][value=satisfied]")
    pub.check("input[name=resolved][value='1']")
    pub.click("#rate-form button.primary")
    pub.wait_for_selector("text=感谢您的评价")
    assert pub.inner_text("#rating").startswith("满意")
    _shot(pub, "4-rated")
    visit = ReturnVisit.objects.get()
    assert visit.satisfaction == "satisfied" and visit.resolved and visit.channel == "web"

    # 6. the rating shows on the case page, the timeline holds every move
    desk.goto(f"{live_server.url}/cases/{case.number}/")
    text = desk.inner_text("main")
    assert "满意 · 已解决" in text
    for label in ["问题上报", "受理立案", "派单", "签收", "处理反馈", "核查结案", "回访"]:
        assert label in text
    _shot(desk, "5-closed-case")
    anon.close()
    ctx.close()
