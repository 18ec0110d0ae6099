"""The interactive API docs work offline: no page loads a script from a CDN."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_api_docs_load_swagger_from_our_own_static_files():
    resp = Client().get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle" in s for s in sources)
    for s in sources:
        assert not s.startswith(("http://", "https://", "//")), s


def test_the_swagger_bundle_is_served():
    from django.contrib.staticfiles import finders

    assert finders.find("ninja/swagger-ui-bundle.js")
