"""Issue 17: every role's day without a wrong turn — through the pages people use."""

from __future__ import annotations

import json

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case, IntakeKey, Status
from jiceng.testing import client_for

NEXT_GRID = {"lon": "108.415", "lat": "32.805"}  # 城关社区第2网格, beside the worker's grid


def _report(c, cats, token="t1", **over):
    data = {
        "token": token,
        "request_type": "report",
        "category": cats.litter.code,
        "description": "巷口垃圾堆放三天无人清运",
        **NEXT_GRID,
        **over,
    }
    return c.post("/cases/report/", data, follow=True)


# ---------------------------------------------------------------- item 1


@pytest.mark.django_db
def test_a_grid_worker_sees_their_own_report_that_fell_in_the_neighbouring_grid(users, cats):
    c = client_for(users.grid_worker)
    r = _report(c, cats)
    case = Case.objects.get()
    assert case.region_code == "610921001001001001002"  # not the worker's grid
    assert r.status_code == 200 and r.redirect_chain[-1][0] == f"/cases/{case.number}/"
    body = r.content.decode()
    assert "上报位置落在相邻的" in body and "城关社区第2网格" in body
    assert case.number in c.get("/cases/?tab=all").content.decode()
    # a stranger to the case is still refused: the rule is "who took it in", not "any grid"
    other = client_for(users.other_street)
    assert other.get(f"/cases/{case.number}/").status_code == 404


@pytest.mark.django_db
def test_the_grid_workers_alarm_in_the_neighbouring_grid_stays_theirs(users, cats):
    c = client_for(users.grid_worker)
    r = c.post(
        "/cases/alarm/", {"token": "a1", "description": "有人落水", **NEXT_GRID}, follow=True
    )
    case = Case.objects.get()
    assert r.status_code == 200 and r.redirect_chain[-1][0] == f"/cases/{case.number}/"
    assert "报警已发出" in r.content.decode()


# ---------------------------------------------------------------- item 2


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["有人落水", "火", "", "   "])
def test_no_form_rule_blocks_an_alarm(users, cats, text):
    c = client_for(users.grid_worker)
    r = c.post("/cases/alarm/", {"token": "a", "description": text})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.urgency == 3 and case.channel == "alarm"
    if text.strip():
        assert text.strip() in case.description


@pytest.mark.django_db
def test_an_alarm_with_a_position_outside_the_county_still_goes_out(users, cats):
    c = client_for(users.grid_worker)
    r = c.post("/cases/alarm/", {"token": "a", "lon": "100.0", "lat": "20.0"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert "100.0" in case.address and case.region_code.startswith("610921")


@pytest.mark.django_db
def test_the_alarm_is_on_the_grid_workers_menu(users, cats):
    body = client_for(users.grid_worker).get("/").content.decode()
    assert 'href="/cases/alarm/"' in body
    assert 'href="/cases/alarm/"' not in client_for(users.resident).get("/").content.decode()


# ---------------------------------------------------------------- item 3


@pytest.mark.django_db
def test_after_returning_a_case_the_department_lands_on_its_inbox(users, cats, in_grid):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    services.transition(case, "dispatch", user=users.street, unit=users.dept)
    c = client_for(users.department)
    r = c.post(f"/cases/{case.number}/move/return/", {"reason": "不属于本单位职责"}, follow=True)
    assert r.status_code == 200
    assert r.redirect_chain[-1][0] == "/cases/inbox/"
    assert "已转出" in r.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RETURNED


# ---------------------------------------------------------------- item 4


@pytest.mark.django_db
def test_the_hotline_form_sent_twice_makes_one_case(users, cats):
    c = client_for(users.street)
    form = {
        "reporter_phone": "13900001111",
        "request_type": "complaint",
        "category": cats.road.code,
        "region_code": "610921001001",
        "description": "解放路路面破损，请尽快修补",
        "urgency": "1",
    }
    page = c.get("/cases/hotline/").content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    first = c.post("/cases/hotline/", {**form, "token": token})
    second = c.post("/cases/hotline/", {**form, "token": token})
    assert first.status_code == second.status_code == 302
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]
    # a fresh form is a fresh case
    c.post("/cases/hotline/", {**form, "token": "another"})
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_submission_can_be_sent_again_with_the_same_token(users, cats):
    c = client_for(users.street)
    bad = {"token": "x", "category": cats.road.code, "description": "短"}
    assert c.post("/cases/hotline/", bad).status_code == 200
    assert not IntakeKey.objects.exists()
    c.post("/cases/hotline/", {**bad, "description": "解放路路面破损，请尽快修补"})
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_api_takes_an_idempotency_key(users, cats, in_grid):
    body = {
        "channel": "hotline",
        "request_type": "complaint",
        "category": cats.road.code,
        "description": "解放路路面破损，请尽快修补",
        **in_grid,
    }

    def post(user):
        return client_for(user).post(
            "/api/v1/cases/",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "k"},
        )

    a, b = post(users.street), post(users.street)
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] == b.json()["number"] and Case.objects.count() == 1
    # the same key from another user is that user's own
    assert post(users.district).status_code == 201
    assert Case.objects.count() == 2


# ---------------------------------------------------------------- item 5


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["00000000000", "139123456789012", "12345"])
def test_the_hotline_form_refuses_a_bad_phone(users, cats, phone):
    c = client_for(users.street)
    r = c.post(
        "/cases/hotline/",
        {
            "token": "p",
            "reporter_phone": phone,
            "category": cats.road.code,
            "description": "解放路路面破损，请尽快修补",
        },
    )
    assert r.status_code == 200 and "格式不正确" in r.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_residents_form_refuses_a_point_outside_the_county(users, cats):
    r = _report(client_for(users.resident), cats, lon="100.0", lat="20.0")
    assert "不在本县（区）范围内" in r.content.decode()
    assert not Case.objects.exists()


# ---------------------------------------------------------------- item 9


@pytest.mark.django_db
def test_the_case_page_shows_labels_value_names_and_grid_names(users, cats, in_grid):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.water,
        description="整栋楼突然停水，已经两个小时",
        user=users.street,
        extra={"households": "12", "kind": "b"},
        **in_grid,
    )
    body = client_for(users.street).get(f"/cases/{case.number}/").content.decode()
    assert "影响户数</dt><dd>12<" in body and "突发停水" in body
    assert "households" not in body and ">b<" not in body
    assert "城关社区第1网格" in body and ">610921001001001001001<" not in body


@pytest.mark.django_db
def test_the_calendar_names_weekdays_in_chinese_whatever_the_browser_asks(users):
    from datetime import date

    from jiceng.cases.models import CalendarDay

    CalendarDay.objects.update_or_create(
        date=date(2026, 10, 1), defaults={"kind": "holiday", "name": "国庆节"}
    )
    r = client_for(users.district).get("/cases/calendar/?year=2026", HTTP_ACCEPT_LANGUAGE="en")
    body = r.content.decode()
    assert "星期四" in body and "Thursday" not in body


# ---------------------------------------------------------------- item 10


@pytest.mark.django_db
def test_the_tracker_after_a_reopen_shows_the_current_state_and_the_whole_timeline(
    client, users, cats, in_grid
):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )
    case = services.transition(case, "dispatch", user=users.street)
    case = services.transition(case, "accept", user=users.department)
    case = services.transition(case, "report_handling", user=users.department, reason="已修补")
    case = services.transition(case, "verify_close", user=users.street)
    r = client.post(
        "/cases/track/",
        {
            "number": case.number,
            "phone": "13900001111",
            "satisfaction": "unsatisfied",
            "resolved": "0",
        },
    )
    assert r.status_code == 200
    r = client.post("/cases/track/", {"number": case.number, "phone": "13900001111"})
    body = r.content.decode()
    timeline = body.split('class="timeline"')[1]
    assert "回访" in timeline and "重新办理" in timeline
    assert "办理中" in body and "上次办理结果" in body


# ---------------------------------------------------------------- item 11


@pytest.mark.django_db
def test_the_residents_list_has_no_staff_tabs_and_holds_their_hotline_calls(users, cats, in_grid):
    called = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="138 0000 0001",  # the resident's registered phone, written loosely
        user=users.street,
        **in_grid,
    )
    stranger = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="另一位市民反映的路面破损",
        reporter_phone="13900009999",
        user=users.street,
        **in_grid,
    )
    c = client_for(users.resident)
    body = c.get("/cases/").content.decode()
    for staff_tab in ("待我处理", "黄红牌", "全部渠道", "待回访"):
        assert staff_tab not in body
    assert "我的诉求" in body and called.number in body and stranger.number not in body
    page = c.get(f"/cases/{called.number}/")
    assert page.status_code == 200 and "13800000001" in page.content.decode()
    assert c.get(f"/cases/{stranger.number}/").status_code == 404
    # a staff tab asked for by hand is the resident's own list
    assert c.get("/cases/?tab=late").status_code == 200


# ---------------------------------------------------------------- item 16


@pytest.mark.django_db
def test_a_superuser_is_labelled_apart_and_gives_a_reason_to_see_a_reporter(users, cats, in_grid):
    from jiceng.accounts.models import AccessLog

    admin = users.district
    admin.is_superuser = True
    admin.save()
    home = client_for(admin).get("/", follow=True).content.decode()
    assert "系统管理员" in home
    assert (
        "区县管理员"
        in client_for(users.district.__class__.objects.get(username="otherdistrict"))
        .get("/cases/")
        .content.decode()
    )
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )
    services.transition(case, "dispatch", user=users.street)
    c = client_for(admin)
    body = c.get(f"/cases/{case.number}/").content.decode()
    assert "13900001111" not in body and "查看完整联系方式" in body
    assert not AccessLog.objects.filter(viewer=admin).exists()
    body = c.post(f"/cases/{case.number}/", {"reason": "核查投诉处理"}).content.decode()
    assert "13900001111" in body
    assert AccessLog.objects.get(viewer=admin).reason == "核查投诉处理"


# ---------------------------------------------------------------- item 13


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.django_db
def test_a_department_attaches_a_photo_to_its_handling_report(users, cats, in_grid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiceng.cases.models import CaseAttachment

    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    case = services.transition(case, "dispatch", user=users.street)
    case = services.transition(case, "accept", user=users.department)
    c = client_for(users.department)
    page = c.get(f"/cases/{case.number}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photo"' in page
    r = c.post(
        f"/cases/{case.number}/move/report_handling/",
        {"reason": "已修补完毕", "photo": SimpleUploadedFile("a.png", _png(), "image/png")},
    )
    assert r.status_code == 302
    att = CaseAttachment.objects.get(case=case)
    assert att.uploaded_by == users.department and att.content_type == "image/png"
    case.refresh_from_db()
    assert case.status == Status.HANDLED
    # a file that is not an image refuses the move as a whole
    other = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="另一处路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    other = services.transition(other, "dispatch", user=users.street)
    other = services.transition(other, "accept", user=users.department)
    c.post(
        f"/cases/{other.number}/move/report_handling/",
        {"reason": "已修补", "photo": SimpleUploadedFile("a.png", b"not an image", "image/png")},
    )
    other.refresh_from_db()
    assert other.status == Status.HANDLING


@pytest.mark.django_db
def test_after_a_merge_the_target_links_back_to_the_merged_case(users, cats, in_grid):
    def take(text):
        return services.intake(
            channel="hotline",
            request_type="complaint",
            category=cats.road,
            description=text,
            user=users.street,
            **in_grid,
        )

    target, dup = take("解放路路面破损，请尽快修补"), take("解放路又有人反映路面破损")
    services.transition(dup, "merge", user=users.street, reason="同一处", into=target.number)
    body = client_for(users.street).get(f"/cases/{target.number}/").content.decode()
    assert f'href="/cases/{dup.number}/"' in body.split('id="absorbed"')[1]


# ---------------------------------------------------------------- item 14


@pytest.mark.django_db
def test_the_outbox_page_lists_scoped_notices_and_retries_a_failed_one(users, cats, in_grid):
    from django.utils import timezone

    from jiceng.cases.models import Outbox

    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    now = timezone.now()
    mine = Outbox.objects.create(
        kind="dispatch",
        body="请办理 A",
        case=case,
        to_phone="13900001111",
        dedupe_key="a",
        state=Outbox.FAILED,
        attempts=5,
        next_attempt_at=now,
        last_error="网关超时",
    )
    Outbox.objects.create(
        kind="dispatch",
        body="别的县的通知",
        dedupe_key="b",
        state=Outbox.FAILED,
        next_attempt_at=now,
        to_unit=None,
    )
    c = client_for(users.district)
    body = c.get("/cases/outbox/?state=failed").content.decode()
    assert "请办理 A" in body and "139****1111" in body and "13900001111" not in body
    assert "别的县的通知" not in body and "发送失败" in body
    # another town's dispatcher does not see it, nor retry it
    other = client_for(users.other_street)
    assert "请办理 A" not in other.get("/cases/outbox/").content.decode()
    other.post(f"/cases/outbox/{mine.pk}/retry/")
    mine.refresh_from_db()
    assert mine.state == Outbox.FAILED
    c.post(f"/cases/outbox/{mine.pk}/retry/")
    mine.refresh_from_db()
    assert mine.state == Outbox.PENDING and mine.attempts == 0
    for who in ("grid_worker", "department", "resident", "auditor"):
        assert client_for(getattr(users, who)).get("/cases/outbox/").status_code == 403


@pytest.mark.django_db
def test_dispatch_rules_are_added_edited_and_deactivated_on_a_chinese_page(users, cats, units):
    from jiceng.cases.models import DispatchRule

    c = client_for(users.district)
    assert "派单规则" in c.get("/cases/rules/").content.decode()
    bad = c.post(
        "/cases/rules/",
        {"category": cats.water.pk, "region_prefix": "999999", "lead_unit": units.dept.pk},
    )
    assert "区域代码 999999 不存在" in bad.content.decode()
    both = c.post(
        "/cases/rules/",
        {
            "category": cats.water.pk,
            "lead_unit": units.dept.pk,
            "helper_units": [units.dept.pk],
            "active": "on",
        },
    )
    assert "主办单位不能同时是协办单位" in both.content.decode()
    n = DispatchRule.objects.count()
    ok = c.post(
        "/cases/rules/",
        {
            "category": cats.water.pk,
            "region_prefix": "610921001",
            "lead_unit": units.other_dept.pk,
            "active": "on",
        },
    )
    assert ok.status_code == 302 and DispatchRule.objects.count() == n + 1
    rule = DispatchRule.objects.get(category=cats.water)
    assert "城关镇" in c.get("/cases/rules/").content.decode()
    c.post(
        f"/cases/rules/{rule.pk}/",
        {
            "category": cats.water.pk,
            "region_prefix": "610921001",
            "lead_unit": units.dept.pk,
            "active": "on",
        },
    )
    rule.refresh_from_db()
    assert rule.lead_unit == units.dept
    c.post(f"/cases/rules/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert rule.active is False
    # another county's administrator neither sees nor edits it
    other = client_for(users.other_district)
    assert other.get(f"/cases/rules/{rule.pk}/").status_code == 404
    assert (
        other.post(
            "/cases/rules/",
            {"category": cats.water.pk, "region_prefix": "610921001", "lead_unit": units.dept.pk},
        ).status_code
        == 200
    )
    assert DispatchRule.objects.count() == n + 1
    for who in ("street", "grid_worker", "department", "resident"):
        assert client_for(getattr(users, who)).get("/cases/rules/").status_code == 403
