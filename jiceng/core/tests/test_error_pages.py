from __future__ import annotations

import pytest
from django.test import Client

from jiceng.testing import client_for


@pytest.mark.django_db
def test_an_unknown_page_answers_in_chinese(users):
    resp = client_for(users.street).get("/no-such-page/")
    assert resp.status_code == 404
    assert "页面不存在" in resp.content.decode()


@pytest.mark.django_db
def test_a_form_posted_without_its_csrf_token_is_refused_in_chinese(users):
    c = Client(enforce_csrf_checks=True)
    resp = c.post("/accounts/login/", {"username": "street", "password": "x"})
    assert resp.status_code == 403
    assert "页面已过期" in resp.content.decode()
