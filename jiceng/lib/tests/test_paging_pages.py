"""Every list page that pages with Django's Paginator names a page number that is not a page
of its list (jiceng/lib/paging.page_for / checked_page) instead of quietly showing a nearby
page: not a number, below 1, beyond any list, past the end of this one."""

from __future__ import annotations

import html

import pytest
from django.utils import translation

from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _pages(territory) -> list[str]:
    return [
        "/community/disputes/",
        "/community/messages/",
        f"/community/v/{territory.village1.code}/echo/",
        "/cases/outbox/",
        f"/people/overview/{territory.village1.code}/",
        "/people/access-log/",
        "/assessment/",
    ]


@pytest.mark.parametrize(
    "raw, said",
    [
        ("abc", "“页码”须为整数，“abc”不是。下面显示第 1 页。"),
        ("0", "“页码”最小为 1，“0”太小。下面显示第 1 页。"),
        ("-1", "“页码”最小为 1，“-1”太小。下面显示第 1 页。"),
        ("99999999999999999999", "“页码”最大为 1,000,000"),
        ("7", "列表没有第 7 页。下面显示第 1 页。"),  # past the end of a short list
        ("1", None),
        ("", None),
    ],
)
def test_each_paged_page_names_a_bad_page_number(users, territory, raw, said):
    c = client_for(users.district)
    for path in _pages(territory):
        r = c.get(path, {"page": raw})
        assert r.status_code == 200, (path, r.status_code)
        body = html.unescape(r.content.decode())
        if said is None:
            assert "下面显示第 1 页" not in body, path
        else:
            assert said in body, (path, raw)


def test_in_english_the_warning_is_english(users, territory):
    c = client_for(users.district)
    c.cookies["django_language"] = "en"
    with translation.override("en"):
        body = html.unescape(c.get("/community/disputes/", {"page": "abc"}).content.decode())
    assert '"page" must be a whole number' in body and "The first page is shown below." in body
