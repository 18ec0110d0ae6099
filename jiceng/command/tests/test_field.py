"""Field: on/off duty with consent, tracks stored compactly, bad positions answered and
kept, attendance, the supervisor's view in scope."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from jiceng.cases import deadlines
from jiceng.command import tracks
from jiceng.command.models import TrackDay, TrackReject
from jiceng.testing import client_for, make_user

pytestmark = pytest.mark.django_db
TZ = deadlines.tz()
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=TZ)


def _post(c, points):
    return c.post(
        "/command/field/points/", json.dumps({"points": points}), content_type="application/json"
    )


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@time_machine.travel(NOON, tick=False)
def test_on_duty_needs_consent_and_positions_need_a_shift(users, units):
    c = client_for(users.grid_worker)
    r = _post(c, [{"t": _ms(NOON), "lon": 108.405, "lat": 32.805}])
    assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["code"] == "not_on_duty"
    resp = c.post("/command/field/", {"action": "on"})
    assert resp.status_code == 400 and "同意" in resp.content.decode()
    assert c.post("/command/field/", {"action": "on", "consent": "1"}).status_code == 302
    assert "在岗中" in c.get("/command/field/").content.decode()
    r = _post(c, [{"t": _ms(NOON), "lon": 108.405, "lat": 32.805}])
    assert r.json() == {"accepted": 1, "rejected": []}
    c.post("/command/field/", {"action": "off"})
    assert "未上岗" in c.get("/command/field/").content.decode()
    assert TrackReject.objects.filter(code="not_on_duty").count() == 1  # kept, with reason


@time_machine.travel(NOON, tick=False)
def test_bad_points_are_answered_one_by_one_and_the_good_ones_kept(users, units):
    tracks.go_on_duty(users.grid_worker, consent=True, now=NOON - timedelta(hours=1))
    c = client_for(users.grid_worker)
    pts = [
        {"t": _ms(NOON - timedelta(minutes=10)), "lon": 108.405, "lat": 32.805},  # good
        {"t": _ms(NOON - timedelta(minutes=9)), "lon": 116.40, "lat": 39.90},  # Beijing
        {"t": _ms(NOON + timedelta(hours=3)), "lon": 108.41, "lat": 32.81},  # future
        {"t": _ms(NOON - timedelta(minutes=20)), "lon": 108.41, "lat": 32.81},  # before last
        {"t": "not a time", "lon": 108.41, "lat": 32.81},
        {"t": _ms(NOON - timedelta(minutes=8)), "lon": "x", "lat": 32.81},
        {"t": _ms(NOON - timedelta(minutes=5)), "lon": 108.406, "lat": 32.806},  # good
        {"t": _ms(NOON - timedelta(hours=5)), "lon": 108.406, "lat": 32.806},  # before shift
    ]
    j = _post(c, pts).json()
    assert j["accepted"] == 2
    assert [(r["index"], r["code"]) for r in j["rejected"]] == [
        (1, "outside_county"),
        (2, "future_time"),
        (3, "out_of_order"),
        (4, "bad_time"),
        (5, "bad_point"),
        (7, "out_of_order"),
    ]
    assert all(r["message"] for r in j["rejected"])
    assert TrackReject.objects.count() == 6  # nothing lost
    # a replay of an already stored point is out of order, not a duplicate in the track
    j2 = _post(c, pts[:1]).json()
    assert j2["rejected"][0]["code"] == "out_of_order"
    t = TrackDay.objects.get()
    assert t.n == 2 and len(bytes(t.points)) == 24  # 12 bytes a point
    got = tracks.track_of(users.grid_worker, users.grid_worker.pk, NOON.date())["points"]
    assert [(p["lon"], p["lat"]) for p in got] == [(108.405, 32.805), (108.406, 32.806)]
    for bad in ("[]", '{"points": 3}', "not json"):
        r = c.post("/command/field/points/", bad, content_type="application/json")
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"


def test_attendance_cuts_shifts_at_midnight(users, units):
    w = users.grid_worker
    start = datetime(2026, 11, 3, 20, 0, tzinfo=TZ)
    tracks.go_on_duty(w, consent=True, now=start)
    tracks.go_off_duty(w, now=start + timedelta(hours=6))  # 20:00 → 02:00
    tracks.go_on_duty(w, consent=True, now=start + timedelta(days=2))
    tracks.go_off_duty(w, now=start + timedelta(days=2, minutes=90))
    rows = tracks.attendance(users.street, start.date())
    assert rows == [
        {
            "user_id": w.pk,
            "name": w.display_name,
            "days": {"2026-11-03": 240, "2026-11-04": 120, "2026-11-05": 90},
            "days_on_duty": 3,
            "hours": 7.5,
        }
    ]
    assert tracks.attendance(users.other_street, start.date()) == []


def test_the_supervisor_sees_who_is_on_duty_in_scope_only(users, units, territory):
    other_worker = make_user("gw2", "grid_worker", territory.grid_v3)
    now = timezone.now()
    tracks.go_on_duty(users.grid_worker, consent=True, now=now - timedelta(minutes=30))
    tracks.go_on_duty(other_worker, consent=True, now=now - timedelta(minutes=30))
    tracks.record_points(
        users.grid_worker, [{"t": _ms(now - timedelta(minutes=1)), "lon": 108.405, "lat": 32.805}]
    )
    page = client_for(users.street).get("/command/field/supervise/").content.decode()
    assert users.grid_worker.display_name in page and "gw2" not in page
    assert "gw2" in client_for(users.district).get("/command/field/supervise/").content.decode()
    c = client_for(users.other_street)
    assert c.get(f"/command/field/track/{users.grid_worker.pk}.json").status_code == 404
    assert (
        client_for(users.street)
        .get(f"/command/field/track/{users.grid_worker.pk}.json")
        .json()["n"]
        == 1
    )
    for u in (users.grid_worker, users.department, users.resident):
        assert client_for(u).get("/command/field/supervise/").status_code == 403
    for u in (users.street, users.department, users.resident):
        assert client_for(u).get("/command/field/").status_code == 403
        assert _post(client_for(u), []).status_code == 403
