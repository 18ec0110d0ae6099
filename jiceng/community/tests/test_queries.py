"""Lists make a fixed number of queries whatever their length (DESIGN: performance habits)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.community import board, inbox
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "page", ["/community/v/{code}/", "/community/v/{code}/echo/", "/community/messages/?state=all"]
)
def test_list_pages_make_the_same_number_of_queries_for_3_and_30_rows(
    users, territory, people, page
):
    code = territory.village1.code
    c = client_for(users.community)
    url = page.format(code=code)

    def add(n):
        for i in range(n):
            board.publish(users.community, code, kind="notice", title=f"通知 {i}", body="内容")
            m = inbox.write(people.resident, code, f"留言 {i}", True)
            inbox.answer(users.community, m, "已答复")

    add(3)
    few = _count(c, url)
    add(27)
    assert _count(c, url) == few
