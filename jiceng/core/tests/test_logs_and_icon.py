"""The server log and the browser's console stay quiet for ordinary things."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_is_answered_not_a_404():
    resp = Client().get("/favicon.ico")
    assert resp.status_code == 301
    assert resp["Location"].endswith("jiceng/favicon.svg")
    assert Client().get(resp["Location"]).status_code == 200


def test_pages_link_their_icon(users):
    c = Client()
    c.force_login(users.district)
    assert 'rel="icon"' in c.get("/", follow=True).content.decode()


@pytest.mark.parametrize("status, traceback_kept", [(403, False), (404, False), (500, True)])
def test_ordinary_refusals_are_logged_without_a_traceback(status, traceback_kept):
    from jiceng.core.logs import QuietRefusals

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "django.request", logging.WARNING, "", 0, "x", None, sys.exc_info()
        )
    record.status_code = status
    assert QuietRefusals().filter(record) is True
    assert (record.exc_info is not None) is traceback_kept


def test_a_refused_page_logs_one_line_without_a_traceback(users, caplog):
    c = Client()
    c.force_login(users.resident)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        resp = c.get("/territory/")
    assert resp.status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert refused, "the refusal is still logged"
    assert all(r.exc_info is None for r in refused)
