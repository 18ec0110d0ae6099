"""The pages of each role, and who is refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiceng.cases import services
from jiceng.cases.models import Case, CaseAttachment, Status
from jiceng.testing import client_for

PAGES = [
    # (url name, allowed, refused)
    ("queue", ["street", "department", "resident", "grid_worker", "auditor"], []),
    ("report", ["resident", "grid_worker", "community"], ["department", "auditor"]),
    ("hotline", ["street", "district", "community"], ["resident", "department", "grid_worker"]),
    ("alarm", ["grid_worker", "street"], ["resident", "department"]),
    ("board", ["street", "district", "community"], ["resident", "department", "grid_worker"]),
    ("inbox", ["department"], ["street", "resident"]),
    ("overdue", ["street", "district", "auditor"], ["resident", "department", "grid_worker"]),
    ("calendar", ["district"], ["street", "resident", "auditor"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,allowed,refused", PAGES)
def test_each_page_opens_for_its_roles_and_refuses_the_others(name, allowed, refused, users, cats):
    for who in allowed:
        r = client_for(getattr(users, who)).get(f"/cases/{name}/" if name != "queue" else "/cases/")
        assert r.status_code == 200, (name, who)
    for who in refused:
        r = client_for(getattr(users, who)).get(f"/cases/{name}/")
        assert r.status_code == 403, (name, who)


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(client):
    r = client.get("/cases/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.fixture
def case(users, cats, in_grid):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )


@pytest.mark.django_db
def test_the_case_page_shows_the_timeline_and_only_the_viewers_moves(users, case):
    r = client_for(users.street).get(f"/cases/{case.number}/")
    html = r.content.decode()
    assert r.status_code == 200 and "办理过程" in html and "受理立案" in html
    assert 'id="move-dispatch"' in html and 'id="move-accept"' not in html
    r = client_for(users.auditor).get(f"/cases/{case.number}/")
    assert r.status_code == 200 and "可执行的操作" not in r.content.decode()


@pytest.mark.django_db
def test_a_case_outside_the_territory_is_not_found(users, case):
    assert client_for(users.other_street).get(f"/cases/{case.number}/").status_code == 404
    r = client_for(users.other_street).post(f"/cases/{case.number}/move/dispatch/", {})
    assert r.status_code == 404


@pytest.mark.django_db
def test_a_move_refused_on_the_page_shows_a_chinese_message(users, case):
    c = client_for(users.street)
    r = c.post(f"/cases/{case.number}/move/verify_close/", {}, follow=True)
    assert "不能执行「核查结案」" in r.content.decode()
    r = c.post(f"/cases/{case.number}/move/dispatch/", {"unit": users.dept.code}, follow=True)
    assert "已派单" in r.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.django_db
def test_a_photo_is_checked_by_its_content_not_its_name(users, cats, in_grid, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(users.resident)
    form = {
        "category": cats.road.code,
        "description": "路面塌陷一个大坑",
        "request_type": "complaint",
        "lon": in_grid["lon"],
        "lat": in_grid["lat"],
    }
    fake = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    r = c.post("/cases/report/", {**form, "photo": fake})
    assert "不是有效的图片" in r.content.decode() and not Case.objects.exists()
    real = SimpleUploadedFile("x.bin", _png(), content_type="application/octet-stream")
    r = c.post("/cases/report/", {**form, "photo": real})
    assert r.status_code == 302
    att = CaseAttachment.objects.get()
    assert att.content_type == "image/png" and att.width == 40
    assert c.get(f"/cases/attachment/{att.pk}/").status_code == 200
    assert client_for(users.other_street).get(f"/cases/attachment/{att.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_hotline_shows_the_callers_earlier_cases(users, case):
    r = client_for(users.street).get("/cases/lookup/phone/?phone=13900001111")
    assert [c["number"] for c in r.json()["cases"]] == [case.number]
    r = client_for(users.other_street).get("/cases/lookup/phone/?phone=13900001111")
    assert r.json()["cases"] == [], "another street does not see this caller's cases"


@pytest.mark.django_db
def test_the_public_tracker_needs_the_matching_phone_and_is_rate_limited(client, users, case):
    from django.core.cache import cache

    cache.clear()
    r = client.post("/cases/track/", {"number": case.number, "phone": "13900000000"})
    assert r.status_code == 404 and "未找到" in r.content.decode()
    r = client.post("/cases/track/", {"number": case.number, "phone": "13900001111"})
    assert r.status_code == 200 and case.title in r.content.decode()
    for _ in range(30):
        r = client.post("/cases/track/", {"number": case.number, "phone": "1"})
    assert r.status_code == 429
    cache.clear()


@pytest.mark.django_db
def test_a_resident_rates_a_closed_case_on_the_public_page(client, users, case):
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("dispatch", users.street, {}),
        ("accept", users.department, {}),
        ("report_handling", users.department, {"reason": "已修补"}),
        ("verify_close", users.street, {}),
    ]
    for move, u, kw in steps:
        case = services.transition(case, move, user=u, **kw)
    r = client.post(
        "/cases/track/",
        {"number": case.number, "phone": "13900001111", "satisfaction": "basic", "resolved": "1"},
    )
    assert "感谢您的评价" in r.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == "basic" and case.resolved is True
    r = client.post(
        "/cases/track/",
        {
            "number": case.number,
            "phone": "13900001111",
            "satisfaction": "unsatisfied",
            "resolved": "0",
        },
    )
    assert Case.objects.get(pk=case.pk).satisfaction == "basic", "rated once"


@pytest.mark.django_db
def test_the_calendar_page_shows_a_missing_year_and_lets_an_admin_add_days(users):
    c = client_for(users.district)
    r = c.get("/cases/calendar/")
    html = r.content.decode()
    assert "缺失" in html  # next year is not in chinesecalendar 1.11
    c.post(
        "/cases/calendar/",
        {"action": "add", "date": "2027-02-08", "kind": "holiday", "name": "春节"},
    )
    from jiceng.cases.models import CalendarDay

    assert CalendarDay.objects.filter(date="2027-02-08", kind="holiday").exists()


@pytest.mark.django_db
def test_possible_duplicates_are_found_by_place_or_by_community(users, cats, case, in_grid):
    c = client_for(users.street)
    r = c.get(f"/cases/lookup/duplicates/?category={cats.road.code}&lon=108.4051&lat=32.8051")
    assert [x["number"] for x in r.json()["cases"]] == [case.number], "about 15 m away"
    r = c.get(f"/cases/lookup/duplicates/?category={cats.road.code}&lon=108.43&lat=32.8051")
    assert r.json()["cases"] == [], "2 km away is another matter"
    r = c.get(f"/cases/lookup/duplicates/?category={cats.road.code}&region=610921001001")
    assert [x["number"] for x in r.json()["cases"]] == [case.number]
    r = c.get(f"/cases/lookup/duplicates/?category={cats.litter.code}&region=610921001001")
    assert r.json()["cases"] == []


@pytest.mark.django_db
def test_the_hotline_refuses_a_place_outside_the_operators_territory(users, cats):
    r = client_for(users.street).post(
        "/cases/hotline/",
        {
            "reporter_phone": "13900002222",
            "category": cats.road.code,
            "request_type": "complaint",
            "description": "路面坑洞需要修补",
            "region_code": "610921002001",
        },
    )
    assert "不在您的管辖范围内" in r.content.decode() and not Case.objects.exists()


@pytest.mark.django_db
def test_my_queue_puts_open_work_before_return_visits(users, cats, in_grid, case):
    closed = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="早已办结、等待回访的诉求",
        reporter_phone="13900002222",
        user=users.street,
        **in_grid,
    )
    # A closed case waiting for its return visit, with the earliest deadline of all.
    Case.objects.filter(pk=closed.pk).update(
        status=Status.CLOSED, deadline=case.deadline.replace(year=case.deadline.year - 1)
    )
    r = client_for(users.street).get("/cases/?tab=todo")
    numbers = [c.number for c in r.context["page"].object_list]
    assert numbers.index(case.number) < numbers.index(closed.number)
