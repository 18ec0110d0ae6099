"""The big screen's figures: same rollups, same scope as the wall."""

from __future__ import annotations

import pytest

from jiceng.command.tests.conftest import IN_GRID3A, IN_TOWN2
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def test_the_big_screen_counts_intake_categories_tiers_and_heat(users, units, cats, intake, move):
    a = intake(
        channel="hotline", category=cats.road, lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street
    )
    intake(
        channel="hotline", category=cats.road, lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street
    )
    g = intake(
        channel="grid",
        category=cats.litter,
        lon=IN_GRID3A[0],
        lat=IN_GRID3A[1],
        user=users.grid_worker,
    )
    intake(channel="web", category=cats.litter, lon=IN_TOWN2[0], lat=IN_TOWN2[1])
    move(g, "close_on_spot", users.grid_worker, result="现场清理完毕")
    j = client_for(users.street).get("/command/screen.json").json()
    assert j["intake"]["12345热线"][-1] == 2 and j["intake"]["网格员上报"][-1] == 1
    assert "网站" not in j["intake"]  # 涧池镇's web case is outside 城关镇
    assert j["top_categories"][0] == {"name": "道路破损", "n": 2}
    grid_share = {t["label"]: t["share"] for t in j["closed_by_tier"]}
    assert grid_share["网格"] == 1.0
    assert j["summary"] == client_for(users.street).get("/command/summary.json").json()[
        "summary"
    ] | {"at": j["summary"]["at"]}
    heat = {h["code"]: h["open"] for h in j["grid_heat"]}
    assert heat["610921001001001001001"] == 2 and a.region_code == "610921001001001001001"
    d = client_for(users.district).get("/command/screen.json").json()
    assert d["intake"]["网站"][-1] == 1


def test_the_big_screen_is_refused_to_outsiders(users):
    for u in (users.grid_worker, users.department, users.resident, users.community):
        assert client_for(u).get("/command/screen.json").status_code == 403
        assert client_for(u).get("/command/screen/").status_code == 403
