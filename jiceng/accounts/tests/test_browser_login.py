from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_street_dispatcher_logs_in_on_a_phone(users, phone_page, live_server, login):
    login(phone_page, "street")
    assert "街镇调度员" in phone_page.locator("main").inner_text()
    phone_page.click("text=退出")
    phone_page.wait_for_url("**/accounts/login/**")
