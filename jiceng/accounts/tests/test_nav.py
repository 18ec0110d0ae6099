"""The top bar's menu: grouped by app for managers, one row for the few-entry roles, the
resident's own label (issue 17, decision 0070)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from jiceng.accounts.context import FLAT_NAV_MAX
from jiceng.testing import client_for


def _header(html: str) -> str:
    return html.split("<header", 1)[1].split("</header>", 1)[0]


@pytest.mark.django_db
def test_a_district_manager_gets_one_menu_per_app(users):
    resp = client_for(users.district).get("/people/search/")
    groups = resp.context["nav_groups"]
    assert len(resp.context["nav_items"]) > FLAT_NAV_MAX and len(groups) >= 5
    # every entry is in exactly one group, in the same order
    assert [i for g in groups for i in g["items"]] == resp.context["nav_items"]
    header = _header(resp.content.decode())
    assert header.count('<details class="navgroup') == sum(len(g["items"]) > 1 for g in groups)
    assert re.search(r"\son[a-z]+=", header) is None  # CSP: no inline handlers
    # the group of the current page is marked, its entry is the current page
    people = next(g for g in groups if any(i["active"] for i in g["items"]))
    assert people["active"] and people["label"] == "人口与户"
    assert 'aria-current="page"' in header


@pytest.mark.django_db
def test_the_group_labels_follow_the_language(users):
    client = client_for(users.district)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    labels = [g["label"] for g in client.get("/people/search/").context["nav_groups"]]
    assert "Cases" in labels and "Smart dispatch" in labels
    assert not any(re.search(r"[\u4e00-\u9fff]", lbl) for lbl in labels)


@pytest.mark.django_db
def test_the_resident_sees_one_row_and_their_cases_as_theirs(users):
    client = client_for(users.resident)
    resp = client.get("/cases/")
    assert resp.context["nav_groups"] == []
    header = _header(resp.content.decode())
    assert "<details" not in header
    labels = [i["label"] for i in resp.context["nav_items"]]
    assert "我的诉求" in labels and "诉求办理" not in labels
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    labels = [i["label"] for i in client.get("/cases/").context["nav_items"]]
    assert "My cases" in labels


@pytest.mark.django_db
def test_staff_keep_the_staff_label(users):
    labels = [i["label"] for i in client_for(users.street).get("/cases/").context["nav_items"]]
    assert "诉求办理" in labels and "我的诉求" not in labels
