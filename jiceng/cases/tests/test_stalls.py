"""Stalls a new user found on the case pages: a paused case shown as overdue, a refused
report that silently loses its photo, the destructive action opened by default."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jiceng.cases import services
from jiceng.cases.models import Case, CaseAttachment, Status
from jiceng.testing import client_for


def _intake(users, cats, in_grid) -> Case:
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )


@pytest.fixture
def handling(users, cats, in_grid) -> Case:
    case = _intake(users, cats, in_grid)
    case = services.transition(case, "dispatch", user=users.street)
    return services.transition(case, "accept", user=users.department)


@pytest.mark.django_db
def test_a_paused_case_whose_deadline_passed_shows_paused_never_overdue(users, handling):
    case = services.transition(
        handling, "request_pause", user=users.department, reason="需等待材料", days=5
    )
    case = services.transition(case, "approve_pause", user=users.street)
    assert case.status == Status.PAUSED
    # the deadline lies in the past (as in the demo data: "超期 55 天"), with a red card
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(days=55), card="red")
    pages = {
        "inbox": (users.department, "/cases/inbox/"),
        "case page": (users.department, f"/cases/{case.number}/"),
        "queue": (users.street, "/cases/?tab=open"),
    }
    for where, (who, url) in pages.items():
        html = client_for(who).get(url).content.decode()
        assert case.number in html, where
        assert "缓办中，时限暂停" in html, where
        assert "超期 55" not in html, where
    # the supervisor's overdue list is of cases whose clock runs
    for url in ("/cases/overdue/", "/cases/?tab=late"):
        html = client_for(users.street).get(url).content.decode()
        assert case.number not in html, url
    # once resumed, the clock runs again and the late case shows as late
    services.transition(Case.objects.get(pk=case.pk), "resume", user=users.department)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(days=55))
    html = client_for(users.department).get(f"/cases/{case.number}/").content.decode()
    assert "超期 55 天" in html and "时限暂停" not in html


def _moves(html: str) -> list[tuple[str, bool]]:
    """The case page's actions in page order, each with whether it is opened."""
    return [
        (name, bool(opened))
        for opened, name in re.findall(r'<details( open)? id="move-([a-z_]+)"', html)
    ]


@pytest.mark.django_db
def test_after_accepting_the_forward_step_is_opened_and_send_back_is_last(users, handling):
    html = client_for(users.department).get(f"/cases/{handling.number}/").content.decode()
    moves = _moves(html)
    names = [n for n, _ in moves]
    assert "return" in names and "report_handling" in names
    assert names.index("report_handling") < names.index("return")
    assert names[-1] == "return"
    opened = [n for n, o in moves if o]
    assert len(opened) == 1 and opened[0] not in {"return", "archive", "cancel", "merge"}


@pytest.mark.django_db
def test_after_verify_close_return_visit_comes_before_archive_which_is_never_opened(
    users, handling
):
    case = services.transition(handling, "report_handling", user=users.department, reason="已修补")
    case = services.transition(case, "verify_close", user=users.street)
    html = client_for(users.street).get(f"/cases/{case.number}/").content.decode()
    moves = _moves(html)
    names = [n for n, _ in moves]
    assert "return_visit" in names and "archive" in names, names
    assert names.index("return_visit") < names.index("archive")
    assert ("archive", False) in moves and moves[0] == ("return_visit", True), moves


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.django_db
def test_a_refused_report_keeps_its_photo_for_the_second_submit(
    users, cats, in_grid, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(users.resident)
    form = {
        "token": "form-token-1",
        "category": cats.water.code,  # 影响户数 is required and left out
        "description": "小区停水一整天了",
        "request_type": "complaint",
        "lon": in_grid["lon"],
        "lat": in_grid["lat"],
    }
    photo = SimpleUploadedFile("tingshui.png", _png(), content_type="image/png")
    html = c.post("/cases/report/", {**form, "photo": photo}).content.decode()
    assert not Case.objects.exists() and "影响户数" in html
    assert "已上传：tingshui.png" in html and 'name="photo_kept"' in html
    assert 'value="form-token-1"' in html
    # someone else sending the same token gets no photo of this person's
    other = client_for(users.grid_worker)
    other.post("/cases/report/", {**form, "extra_households": "30", "photo_kept": "1"})
    assert not CaseAttachment.objects.exists()
    Case.objects.all().delete()
    # the second submit, without choosing the photo again, attaches it
    r = c.post(
        "/cases/report/",
        {**form, "extra_households": "30", "photo_kept": "1", "photo_name": "tingshui.png"},
    )
    assert r.status_code == 302
    att = CaseAttachment.objects.get()
    assert att.content_type == "image/png" and att.width == 40
    assert att.case.description == "小区停水一整天了"
    pending = [f for f in tmp_path.rglob("*") if f.is_file() and "pending-photos" in str(f)]
    assert pending == [], "the waiting photo is removed once used"


@pytest.mark.django_db
def test_a_kept_photo_unticked_is_not_attached(users, cats, in_grid, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(users.resident)
    form = {
        "token": "form-token-2",
        "category": cats.water.code,
        "description": "小区停水一整天了",
        "request_type": "complaint",
        "lon": in_grid["lon"],
        "lat": in_grid["lat"],
    }
    photo = SimpleUploadedFile("a.png", _png(), content_type="image/png")
    c.post("/cases/report/", {**form, "photo": photo})
    r = c.post("/cases/report/", {**form, "extra_households": "30"})  # box unticked
    assert r.status_code == 302 and Case.objects.count() == 1
    assert not CaseAttachment.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_asks_for_a_required_checkbox_group_before_sending(
    live_server, page, login, users, cats
):
    from jiceng.cases.models import Category
    from jiceng.testing import wait_js

    Category.objects.create(
        code="30",
        name="噪音扰民",
        path="环境卫生/噪音扰民",
        limit_amount=3,
        limit_unit="workdays",
        extra_fields=[
            {
                "code": "source",
                "label": "噪音来源",
                "datatype": "multivaluelist",
                "required": True,
                "values": [{"key": "a", "name": "工地"}, {"key": "b", "name": "商铺"}],
            }
        ],
    )
    login(page, "resident")
    page.goto(f"{live_server.url}/cases/report/")
    page.select_option("#category", "30")
    page.fill("textarea[name=description]", "夜里工地一直施工，吵得睡不着")
    page.click("#report-form button[type=submit]")
    box = "document.querySelector('input[name=extra_source]')"
    wait_js(page, f"{box}.validationMessage.includes('噪音来源')")
    assert "/cases/report/" in page.url and not Case.objects.exists()
    page.check("input[name=extra_source][value=a]")
    wait_js(page, f"{box}.validationMessage === ''")
