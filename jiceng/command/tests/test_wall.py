"""The wall: scoped counts, feed, alarms on top until taken; refused to everyone else."""

from __future__ import annotations

import pytest

from jiceng.command.tests.conftest import IN_GRID3A, IN_TOWN2
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_streets(users, units, cats, intake):
    """A hotline case and an alarm in 城关镇, a web case in 涧池镇."""
    a = intake(
        channel="hotline", category=cats.road, lon=IN_GRID3A[0], lat=IN_GRID3A[1], user=users.street
    )
    alarm = intake(
        channel="alarm",
        description="河边有人落水，请速来",
        lon=IN_GRID3A[0],
        lat=IN_GRID3A[1],
        user=users.grid_worker,
    )
    b = intake(channel="web", description="涧池镇桥面塌陷很危险", lon=IN_TOWN2[0], lat=IN_TOWN2[1])
    return a, alarm, b


def test_district_and_street_users_land_on_the_wall(users):
    for u in (users.district, users.street):
        resp = client_for(u).get("/")
        assert resp.status_code == 302 and resp["Location"] == "/command/"
    assert client_for(users.community).get("/").status_code == 200
    assert client_for(users.no_scope).get("/").status_code == 200  # no territory: no wall


def test_the_wall_shows_only_the_users_street(users, two_streets):
    a, alarm, b = two_streets
    page = client_for(users.street).get("/command/").content.decode()
    assert a.number in page and alarm.number in page and b.number not in page
    other = client_for(users.other_street).get("/command/").content.decode()
    assert b.number in other and a.number not in other and alarm.number not in other
    district = client_for(users.district).get("/command/").content.decode()
    assert all(c.number in district for c in (a, alarm, b))


def test_the_counts_are_scoped(users, two_streets):
    s = client_for(users.street).get("/command/summary.json").json()["summary"]
    assert s["new"] == 2 and s["today_new"] == 2 and s["scope"] == "610921001"
    o = client_for(users.other_street).get("/command/summary.json").json()["summary"]
    assert o["new"] == 1 and o["today_new"] == 1
    d = client_for(users.district).get("/command/summary.json").json()
    assert d["summary"]["new"] == 3 and [x["number"] for x in d["alarms"]] == [
        two_streets[1].number
    ]


def test_outsiders_are_refused_everything(users, two_streets):
    alarm = two_streets[1]
    for u in (
        users.grid_worker,
        users.community,
        users.department,
        users.resident,
        users.auditor,
        users.no_scope,
    ):
        c = client_for(u)
        for url in ("/command/", "/command/summary.json", "/command/stream/?after=0"):
            assert c.get(url).status_code == 403, (u.username, url)
        assert c.post(f"/command/alarms/{alarm.pk}/take/").status_code == 403
    from django.test import Client

    assert Client().get("/command/").status_code == 302
    assert Client().get("/command/stream/").status_code == 401


def test_an_alarm_stays_on_top_until_taken_and_only_in_scope(users, two_streets):
    alarm = two_streets[1]
    # 涧池镇's dispatcher cannot see, nor take, 城关镇's alarm
    assert (
        client_for(users.other_street).post(f"/command/alarms/{alarm.pk}/take/").status_code == 404
    )
    c = client_for(users.street)
    assert [a["number"] for a in c.get("/command/summary.json").json()["alarms"]] == [alarm.number]
    r = c.post(f"/command/alarms/{alarm.pk}/take/").json()
    assert r["taken"] is True
    assert client_for(users.district).get("/command/summary.json").json()["alarms"] == []
    # taking it again says who took it, nothing is overwritten
    again = client_for(users.district).post(f"/command/alarms/{alarm.pk}/take/").json()
    assert again == {"taken": False, "by": users.street.display_name, "at": r["at"]}


def test_the_stream_carries_only_the_scopes_events(users, two_streets):
    a, alarm, b = two_streets
    body = client_for(users.street).get("/command/stream/?after=0")
    text = b"".join(body.streaming_content).decode()
    assert "event: alarm" in text and alarm.number in text and a.number in text
    assert b.number not in text
    other = b"".join(
        client_for(users.other_street).get("/command/stream/?after=0").streaming_content
    ).decode()
    assert b.number in other and alarm.number not in other


def test_the_api_gives_the_same_figures_and_clear_errors(users, two_streets):
    from django.test import Client

    from jiceng.accounts.models import ApiToken

    _, key = ApiToken.issue(users.street, "t")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    api = c.get("/api/v1/command/summary").json()
    page = client_for(users.street).get("/command/summary.json").json()
    assert api["summary"] | {"at": ""} == page["summary"] | {"at": ""}
    r = c.get("/api/v1/command/map/features?bbox=1,2,3&zoom=3")
    assert r.status_code == 400 and r.json()["error"]["message"]
    _, gkey = ApiToken.issue(users.grid_worker, "g")
    g = Client(HTTP_AUTHORIZATION=f"Bearer {gkey}")
    assert g.get("/api/v1/command/summary").json()["error"]["code"] == "forbidden"
    r = g.post(
        "/api/v1/command/field/points",
        {"points": [{"t": 1, "lon": 1, "lat": 1}]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["rejected"][0]["code"] == "not_on_duty"
    doc = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/command/summary" in doc["paths"]


def test_taking_an_alarm_is_written_on_the_cases_history_once(users, two_streets):
    """接警 leaves a trace: the case page's history names who took the alarm; a refused
    user writes nothing; a second 接警 changes nothing and names the first taker."""
    from jiceng.cases.models import CaseEvent

    alarm = two_streets[1]
    takes = CaseEvent.objects.filter(case=alarm, move="take_alarm")
    refused = client_for(users.other_street).post(f"/command/alarms/{alarm.pk}/take/")
    assert refused.status_code == 404 and not takes.exists()
    before = client_for(users.street).get(f"/cases/{alarm.number}/").content.decode()
    assert "接警" not in before
    r = client_for(users.street).post(f"/command/alarms/{alarm.pk}/take/").json()
    assert r["taken"] is True
    ev = takes.get()
    assert ev.actor == users.street and ev.at.isoformat() == r["at"]
    page = client_for(users.district).get(f"/cases/{alarm.number}/").content.decode()
    assert "接警" in page and users.street.display_name in page
    again = client_for(users.district).post(f"/command/alarms/{alarm.pk}/take/").json()
    assert again["taken"] is False and again["by"] == users.street.display_name
    assert takes.count() == 1
    # never offered as a button on the case page
    from jiceng.cases import services

    assert "take_alarm" not in [m.name for m in services.allowed_moves_for(users.street, alarm)]
    # nor can the move be made on a case that is not an alarm
    with pytest.raises(services.MoveRefused):
        services.transition(two_streets[0], "take_alarm", user=users.street)
