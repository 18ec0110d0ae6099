"""In a browser: a grid worker presses the one-key alarm on a phone and it appears on an
open district wall within 2 s, pushed by server-sent events from the ASGI server."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from jiceng.testing import wait_js

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def asgi_server(transactional_db, rollups):
    """uvicorn serving jiceng.core.serving in a thread of this process (what `jiceng serve` runs),
    on the test database, with the rollups applied by their background thread as there."""
    import uvicorn

    rollups.set_mode("thread")

    from jiceng.core.serving import application

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    rollups.set_mode("manual")
    with rollups.queue.applying:  # the rollup thread's batch in flight, if any, ends first
        rollups.discard()
    from jiceng.command import live

    live.shutdown()


def _login(pg, base, username):
    from jiceng.testing import PASSWORD

    pg.goto(f"{base}/accounts/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_load_state()


@pytest.mark.browser
def test_a_phone_alarm_reaches_the_open_district_wall_within_two_seconds(
    asgi_server, browser, phone_page, users, units, cats
):
    SHOTS.mkdir(exist_ok=True)
    desk_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    wall = desk_ctx.new_page()
    wall.set_default_timeout(15000)
    _login(wall, asgi_server, "district")
    assert wall.url.rstrip("/").endswith("/command")  # the district user lands on the wall
    wall.wait_for_selector("#live-state.on")  # the event stream is open

    phone = phone_page
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"longitude": 108.405, "latitude": 32.805})
    _login(phone, asgi_server, "gridworker")
    phone.goto(f"{asgi_server}/cases/alarm/")
    phone.fill("input[name=description]", "河边有人落水，请速来救援")
    wait_js(phone, "document.getElementById('lon').value !== ''")
    # both pages read the same machine clock: the wall notes when the alarm row appears
    wall.evaluate(
        """() => new MutationObserver((_, obs) => {
            if (document.querySelector('#alarms .alarm')) { window.alarmSeenAt = Date.now(); obs.disconnect(); }
        }).observe(document.getElementById('alarms'), {childList: true})"""
    )
    pressed_at = phone.evaluate("() => Date.now()")
    phone.click("button.alarm-btn")
    wall.wait_for_selector("#alarms .alarm >> text=河边有人落水", timeout=5000)
    wall.wait_for_selector("#feed li.alarm")
    elapsed = (wall.evaluate("() => window.alarmSeenAt") - pressed_at) / 1000
    print(f"alarm pressed → on the wall: {elapsed:.2f} s")
    assert elapsed < 2.0
    wait_js(wall, "document.getElementById('c-today_new').textContent === '1'")
    wall.screenshot(path=str(SHOTS / "command-wall-alarm-1366.png"), full_page=True)

    # taken on the wall: it leaves the top
    wall.click("#alarms .take")
    wall.wait_for_selector("#alarms .alarm", state="detached")
    desk_ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_load_map_colours_grids_and_a_click_lists_open_cases(
    live_server, page, login, users, units, cats
):
    from django.db import transaction

    from jiceng.cases import services

    with transaction.atomic():
        case = services.intake(
            channel="hotline",
            request_type="complaint",
            category=cats.road,
            description="城关社区路面塌陷需要修补",
            lon=108.405,
            lat=32.805,
            user=users.street,
        )
    login(page, "street")
    page.goto(f"{live_server.url}/command/map/")
    wait_js(page, "/\\d+ 个区域/.test(document.getElementById('map-status').textContent)")
    assert page.inner_text("#map-status").startswith("2 个区域")
    # the village holding the case is coloured as loaded; a click lists its open cases
    pt = page.evaluate("() => window.jicengLoadMap.latLngToContainerPoint([32.805, 108.405])")
    box = page.locator("#loadmap").bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    page.wait_for_selector(f"#region-cases >> text={case.number}")
    page.screenshot(path=str(SHOTS / "command-map-1366.png"))


@pytest.mark.browser
@pytest.mark.real_clock  # the page sends the GPS fix's own time, which no test clock moves
@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_goes_on_duty_on_the_phone_and_the_street_sees_the_track(
    live_server, browser, phone_page, login, users, units
):
    from jiceng.command import tracks

    tracks.forget_county_box()
    pg = phone_page
    pg.context.grant_permissions(["geolocation"])
    pg.context.set_geolocation({"longitude": 108.405, "latitude": 32.805})
    login(pg, "gridworker")
    pg.goto(f"{live_server.url}/command/field/")
    pg.check("#consent")
    pg.click("button.duty-btn.on")
    pg.wait_for_selector("text=在岗中")
    wait_js(pg, "document.getElementById('points-today').textContent === '1'")
    pg.screenshot(path=str(SHOTS / "command-field-phone.png"), full_page=True)

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = ctx.new_page()
    login(desk, "street")
    desk.goto(f"{live_server.url}/command/field/supervise/")
    desk.wait_for_selector(f"#on-duty >> text={users.grid_worker.display_name}")
    desk.screenshot(path=str(SHOTS / "command-supervise-1366.png"), full_page=True)
    ctx.close()
