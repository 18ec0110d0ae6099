"""Login, logout and throttling, through the pages a user sees."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.testing import PASSWORD


@pytest.mark.django_db
def test_a_user_logs_in_and_sees_their_role_and_territory(users):
    c = Client()
    resp = c.post("/accounts/login/", {"username": "street", "password": PASSWORD}, follow=True)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "街镇调度员" in text and "城关镇" in text


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_chinese_message(users):
    resp = Client().post("/accounts/login/", {"username": "street", "password": "wrong-password"})
    assert resp.status_code == 200
    assert "用户名或密码不正确" in resp.content.decode()
    assert "_auth_user_id" not in resp.wsgi_request.session


@pytest.mark.django_db
def test_repeated_failures_lock_the_login_even_with_the_right_password(users, settings):
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        c.post("/accounts/login/", {"username": "street", "password": "wrong-password"})
    resp = c.post("/accounts/login/", {"username": "street", "password": PASSWORD})
    assert resp.status_code == 429
    assert "登录失败次数过多" in resp.content.decode()


@pytest.mark.django_db
def test_pages_need_a_login(users):
    resp = Client().get("/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(users):
    c = Client()
    # community staff: the home page itself (district/street users go on to the wall)
    c.post("/accounts/login/", {"username": "community", "password": PASSWORD})
    assert c.get("/").status_code == 200
    c.post("/accounts/logout/")
    assert c.get("/").status_code == 302


def test_password_validation_rejects_short_and_common_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for bad in ["short1", "password123", "1234567890123"]:
        with pytest.raises(ValidationError):
            validate_password(bad)
    validate_password("grid-worker-汉阴-2026")


@pytest.mark.django_db
def test_only_the_closest_menu_entry_is_marked_active(users):
    from jiceng.testing import client_for

    resp = client_for(users.street).get("/territory/map/")
    active = [i["label"] for i in resp.context["nav_items"] if i["active"]]
    assert active == ["网格地图"]
