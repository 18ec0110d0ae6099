"""Issue 17's done-when: each role walks its day on the demo county in a browser — the grid
worker and the resident on a phone, the staff on a desktop — without a wrong turn.
Screenshots land in test-artifacts/every-role-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.cases.models import Case, Status

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"every-role-{name}.png"), full_page=True)


def _neighbour_point(user) -> tuple[float, float]:
    """A point inside a grid of the same community as the worker's, but not theirs."""
    import shapely

    from jiceng.territory.models import Level, Region

    own = user.scope
    grids = Region.objects.filter(
        level=Level.GRID,
        code__under=own.code[:12],
        boundary__isnull=False,
        children__isnull=True,
    ).exclude(code__startswith=own.code)
    g = grids.order_by("code").first()
    assert g is not None, "the demo community has a second grid"
    p = shapely.geometry.shape(g.boundary).representative_point()
    return p.x, p.y


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_role_walks_its_day_on_the_demo(live_server, page, phone_page, login):
    from jiceng.accounts.models import User
    from jiceng.core import demo

    demo.build(demo.DemoContext(scale=0.02))
    pw = demo.DEMO_PASSWORD
    base = live_server.url

    # -- the grid worker, on a phone: today's work, the alarm, a report over the grid edge
    ph = phone_page
    login(ph, "grid", pw)
    assert ph.locator("#grid-day").is_visible()
    _shot(ph, "grid-home")
    ph.click("#grid-day >> text=一键报警")
    ph.fill("input[name=description]", "有人落水")
    ph.click("button.alarm-btn")
    ph.wait_for_selector("text=报警已发出")
    assert "/cases/" in ph.url and "页面不存在" not in ph.content()
    alarm = Case.objects.filter(channel="alarm").latest("id")
    assert "有人落水" in alarm.description
    _shot(ph, "grid-alarm-sent")

    grid = User.objects.get(username="grid")
    lon, lat = _neighbour_point(grid)
    ph.goto(f"{base}/cases/report/")
    ph.select_option("#category", index=1)
    ph.fill("textarea[name=description]", "巷口垃圾堆放三天无人清运")
    # the worker clicks the map; the map writes these two fields
    ph.evaluate(
        "([lon, lat]) => { document.getElementById('lon').value = lon;"
        " document.getElementById('lat').value = lat; }",
        [lon, lat],
    )
    ph.click("button[type=submit].primary")
    ph.wait_for_selector("text=已提交")
    assert ph.locator("#placement-note").is_visible()
    _shot(ph, "grid-report-next-grid")

    # -- the resident, on a phone: their own cases, a point outside the county refused
    ph.context.clear_cookies()
    login(ph, "resident", pw)
    assert ph.url.rstrip("/").endswith("/cases")
    body = ph.content()
    assert "我的诉求" in body and "待我处理" not in body and "黄红牌" not in body
    _shot(ph, "resident-home")
    ph.goto(f"{base}/cases/report/")
    ph.select_option("#category", index=1)
    ph.fill("textarea[name=description]", "小区门口路灯不亮已经一周")
    ph.evaluate(
        "() => { document.getElementById('lon').value = 100.0;"
        " document.getElementById('lat').value = 20.0; }"
    )
    ph.click("button[type=submit].primary")
    ph.wait_for_selector("text=不在本县（区）范围内")
    _shot(ph, "resident-outside-county")

    # -- the street dispatcher, desktop: the wall, then the hotline; Ctrl+Enter twice
    login(page, "street", pw)
    assert "/command/" in page.url
    page.goto(f"{base}/cases/hotline/")
    before = Case.objects.filter(channel="hotline").count()
    page.fill("#phone", "13991500123")
    page.fill("#cat-filter", "")
    page.select_option("#category", index=0)
    page.fill("textarea[name=description]", "楼下餐馆油烟直排，影响居民开窗")
    page.locator("textarea[name=description]").press("Control+Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=已受理立案")
    assert Case.objects.filter(channel="hotline").count() == before + 1
    page.fill("#phone", "00000000000")
    page.select_option("#category", index=0)
    page.fill("textarea[name=description]", "测试一个错误的号码能否受理")
    page.click("#hotline-form button.primary")
    page.wait_for_selector("text=格式不正确")
    _shot(page, "street-hotline")

    # -- the department, desktop: lands on its inbox; 退单 goes back to the inbox
    page.context.clear_cookies()
    login(page, "dept", pw)
    assert page.url.endswith("/cases/inbox/")
    _shot(page, "dept-inbox")
    dept = User.objects.select_related("unit").get(username="dept")
    case = Case.objects.filter(unit=dept.unit, status=Status.DISPATCHED).first()
    assert case is not None, "the demo has a case waiting for the department"
    page.goto(f"{base}/cases/{case.number}/")
    page.locator("#move-return").evaluate("e => { e.open = true; }")
    page.fill("#move-return textarea[name=reason]", "不属于本单位职责，请改派")
    page.click("#move-return button.primary")
    page.wait_for_selector("text=已转出")
    assert page.url.endswith("/cases/inbox/")
    _shot(page, "dept-after-return")

    # -- the district administrator: dispatch rules and the outbox in Chinese
    page.context.clear_cookies()
    login(page, "district", pw)
    page.goto(f"{base}/cases/rules/")
    assert page.locator("#rules").is_visible()
    _shot(page, "district-rules")
    page.goto(f"{base}/cases/outbox/")
    assert page.locator("#outbox").is_visible()
    _shot(page, "district-outbox")

    # -- the superuser is not labelled like the district administrator
    page.context.clear_cookies()
    login(page, "admin", pw)
    assert "系统管理员" in page.locator("header").inner_text()
    _shot(page, "admin-home")
