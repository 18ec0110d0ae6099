"""A resident on a phone reads the village's finance publication without logging in,
leaves a message; the village staff answer on a desktop; the answer is on the 回音墙."""

from __future__ import annotations

import pytest

from jiceng.community import board
from jiceng.community.board import Row
from jiceng.community.models import Message, VillageSettings


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_reads_the_board_on_a_phone_leaves_a_message_and_sees_the_answer(
    phone_page, page, login, live_server, users, territory, people
):
    code = territory.village1.code
    VillageSettings.objects.create(village_code=code, public_board=True)
    tables = board.build_tables(
        [
            Row(2, "income", "集体土地租金（茶园流转）", "48600"),
            Row(3, "income", "上级转移支付", "60000"),
            Row(4, "spending", "村干部基本报酬", "54000"),
            Row(5, "spending", "三组通组路维修", "23800"),
            Row(6, "assets", "村委会办公楼", "386000"),
        ]
    )
    pub = board.publish(
        users.community,
        code,
        kind="finance",
        title="2026年第三季度财务公开",
        body="村级财务收支情况如下。",
        tables=tables,
        period_label="2026年第三季度",
    )
    board.correct(
        users.community,
        pub,
        reason="道路维修支出录入有误",
        title="2026年第三季度财务公开",
        body="村级财务收支情况如下。",
        tables={
            **tables,
            "spending": [tables["spending"][0], {"item": "三组通组路维修", "amount": "23080.00"}],
        },
    )

    pg = phone_page
    # 1. No login: the board and the finance publication
    pg.goto(f"{live_server.url}/community/v/{code}/")
    assert "城关社区" in pg.content() and "/accounts/login/" not in pg.url
    pg.click("text=2026年第三季度财务公开")
    pg.wait_for_load_state()
    text = pg.inner_text("main")
    assert "108,600.00" in text and "77,080.00" in text and "31,520.00" in text  # totals, balance
    assert "更正原因：道路维修支出录入有误" in text and "第 1 版" in text
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391  # fits the phone
    pg.screenshot(path="test-artifacts/community-phone-finance.png", full_page=True)

    # 2. The resident logs in and leaves a message, agreeing to publication
    login(pg, people.resident.username)
    pg.goto(f"{live_server.url}/community/")
    pg.wait_for_load_state()
    assert f"/community/v/{code}/" in pg.url
    pg.click("text=给村委会留言")
    pg.wait_for_load_state()
    pg.fill("#body", "三组路灯坏了两个多月，晚上接孩子不方便")
    pg.check("input[name=public_consent]")
    pg.screenshot(path="test-artifacts/community-phone-message.png", full_page=True)
    pg.click("button:has-text('提交留言')")
    pg.wait_for_load_state()
    assert "留言已送达村委会" in pg.content() and "待答复" in pg.content()
    m = Message.objects.get()
    assert m.author == people.resident and m.public_consent

    # 3. Village staff answer on a desktop
    login(page, users.community.username)
    page.goto(f"{live_server.url}/community/messages/")
    page.click("text=三组路灯坏了两个多月")
    page.wait_for_load_state()
    page.fill("#reply", "已联系供电所，本周内修复")
    page.screenshot(path="test-artifacts/community-desktop-reply.png", full_page=True)
    page.click("button:has-text('答复')")
    page.wait_for_load_state()
    assert "已答复" in page.content()

    # 4. The resident sees the answer on the 回音墙
    pg.goto(f"{live_server.url}/community/v/{code}/echo/")
    wall = pg.inner_text("main")
    assert "三组路灯坏了两个多月" in wall and "已联系供电所，本周内修复" in wall
    pg.screenshot(path="test-artifacts/community-phone-echo.png", full_page=True)
