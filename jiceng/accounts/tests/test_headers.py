"""Every page and API answer carries a Content-Security-Policy and Cache-Control: no-store;
no inline script runs without the response's nonce (issue 9 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from jiceng.testing import client_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _nonce(resp) -> str:
    m = re.search(r"'nonce-([^']+)'", resp["Content-Security-Policy"])
    assert m, resp["Content-Security-Policy"]
    return m.group(1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/command/",
        "/people/search/",
        "/territory/map/",
        "/cases/",
        "/cases/hotline/",
        "/api/v1/me",
    ],
)
def test_pages_and_api_answers_are_not_stored_and_carry_a_policy(users, url):
    resp = client_for(users.street).get(url, follow=True)
    assert resp.status_code == 200, url
    assert resp["Cache-Control"] == "no-store"
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp.split(";")[1]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    if resp["Content-Type"].startswith("text/html"):
        nonce = _nonce(resp)
        for m in SCRIPT.finditer(resp.content.decode()):
            attrs = m.group("attrs")
            if "src=" in attrs or "application/json" in attrs:
                continue
            assert f'nonce="{nonce}"' in attrs, (url, attrs)


@pytest.mark.django_db
def test_the_nonce_changes_with_every_answer(users):
    c = client_for(users.street)
    assert _nonce(c.get("/")) != _nonce(c.get("/"))


@pytest.mark.django_db
def test_static_files_stay_cacheable(users):
    resp = Client().get("/static/jiceng/site.css")
    assert resp.status_code == 200
    assert resp.get("Cache-Control", "") != "no-store"


def test_no_template_has_an_inline_script_without_nonce_or_an_inline_handler():
    bad = []
    for path in ROOT.glob("**/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for m in SCRIPT.finditer(text):
            attrs = m.group("attrs")
            if "src=" in attrs or "application/json" in attrs or "csp_nonce" in attrs:
                continue
            bad.append(f"{path.relative_to(ROOT)}: <script{attrs}>")
        bad += [f"{path.relative_to(ROOT)}: inline handler" for _ in HANDLER.finditer(text)]
    assert not bad, bad
