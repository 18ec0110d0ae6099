"""The case reporter's name and phone (and a home address) are personal data: masked for the
roles that do not need them, every full view logged (cases/privacy.py)."""

from __future__ import annotations

import json

import pytest

from jiceng.accounts.models import AccessLog
from jiceng.cases import services
from jiceng.testing import client_for

PHONE, NAME = "13912345678", "王秀英"
MASKED_PHONE = "139****5678"


@pytest.fixture
def case(users, cats, in_grid, units):
    """A hotline case dispatched to the department, with another department helping."""
    c = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone=PHONE,
        reporter_name=NAME,
        user=users.street,
        **in_grid,
    )
    return services.transition(
        c, "dispatch", user=users.street, unit=units.dept, helpers=[units.other_dept]
    )


def _page(user, number):
    r = client_for(user).get(f"/cases/{number}/")
    assert r.status_code == 200
    return r.content.decode()


def _api(user, number):
    r = client_for(user).get(f"/api/v1/cases/{number}")
    assert r.status_code == 200
    return _text(r)


def _text(r) -> str:
    """A JSON body as readable text (Chinese is \\u-escaped on the wire)."""
    return json.dumps(r.json(), ensure_ascii=False)


# (role, sees in full without asking, may reveal with a reason)
MATRIX = [
    ("department", True, False),  # its unit holds the case
    ("other_department", False, False),  # only helping
    ("grid_worker", False, False),  # not a grid-level case
    ("community", False, True),
    ("street", False, True),
    ("district", False, True),
    ("auditor", False, False),
]


@pytest.mark.django_db
@pytest.mark.parametrize("who,full,may_reveal", MATRIX)
def test_each_role_sees_the_reporter_as_the_matrix_says_and_full_views_are_logged(
    who, full, may_reveal, users, case
):
    user = getattr(users, who)
    for body in (_page(user, case.number), _api(user, case.number)):
        assert (PHONE in body) is full, who
        assert (NAME in body) is full, who
        if not full:
            assert MASKED_PHONE in body and "王**" in body
    logs = AccessLog.objects.filter(viewer=user, subject_id=case.number)
    assert logs.count() == (2 if full else 0)
    if full:
        assert {x.channel for x in logs} == {"page", "api"}
        assert {x.reason for x in logs} == {"承办本诉求"}


@pytest.mark.django_db
@pytest.mark.parametrize("who,full,may_reveal", [m for m in MATRIX if not m[1]])
def test_a_reveal_needs_a_role_that_may_and_a_reason_and_is_logged(
    who, full, may_reveal, users, case
):
    user = getattr(users, who)
    c = client_for(user)
    r = c.post(f"/cases/{case.number}/", {"reason": "回访诉求人核实情况"})
    a = c.post(
        f"/api/v1/cases/{case.number}/reveal",
        json.dumps({"reason": "回访诉求人核实情况"}),
        content_type="application/json",
    )
    if may_reveal:
        assert r.status_code == 200 and PHONE in r.content.decode()
        assert a.status_code == 200 and a.json()["reporter_phone"] == PHONE
        logs = AccessLog.objects.filter(viewer=user, subject_id=case.number)
        assert sorted(x.channel for x in logs) == ["api", "page"]
        assert {x.reason for x in logs} == {"回访诉求人核实情况"}
        assert {x.subject_type for x in logs} == {"case_reporter"}
    else:
        assert r.status_code == 403 and PHONE not in r.content.decode()
        assert a.status_code == 403 and PHONE not in _text(a)
        assert not AccessLog.objects.filter(viewer=user).exists()


@pytest.mark.django_db
def test_a_reveal_without_a_real_reason_is_refused_and_not_logged(users, case):
    c = client_for(users.street)
    r = c.post(f"/cases/{case.number}/", {"reason": "看"}, follow=True)
    assert "事由" in r.content.decode() and PHONE not in r.content.decode()
    a = c.post(
        f"/api/v1/cases/{case.number}/reveal",
        json.dumps({"reason": " "}),
        content_type="application/json",
    )
    assert a.status_code == 400 and a.json()["error"]["message"]
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_lists_and_the_earlier_calls_lookup_never_show_the_reporter(users, case):
    for user in (users.street, users.department, users.district):
        body = _text(client_for(user).get("/api/v1/cases/"))
        assert PHONE not in body and NAME not in body
        body = client_for(user).get("/cases/?tab=all").content.decode()
        assert PHONE not in body and NAME not in body
    r = client_for(users.street).get(f"/cases/lookup/phone/?phone={PHONE}")
    assert r.json()["cases"][0]["name"] == "王**"
    assert not AccessLog.objects.exclude(subject_type__startswith="lookup:").exists()


@pytest.mark.django_db
def test_the_department_loses_the_phone_once_its_unit_no_longer_holds_the_case(users, case):
    services.transition(case, "accept", user=users.department)
    case.refresh_from_db()
    services.transition(case, "report_handling", user=users.department, reason="已修补完毕")
    case.refresh_from_db()
    services.transition(case, "verify_close", user=users.street, reason="现场核实已修好")
    body = _page(users.department, case.number)  # still visible: it handled the case
    assert "已结案" in body and PHONE not in body and MASKED_PHONE in body


@pytest.mark.django_db
def test_the_grid_worker_handling_a_grid_case_sees_the_reporter_and_is_logged(users, cats, in_grid):
    c = services.intake(
        channel="grid",
        request_type="report",
        category=cats.litter,
        description="楼道堆放杂物，居民反映",
        reporter_phone=PHONE,
        reporter_name=NAME,
        user=users.grid_worker,
        **in_grid,
    )
    assert PHONE in _page(users.grid_worker, c.number)
    assert AccessLog.objects.filter(viewer=users.grid_worker, subject_id=c.number).count() == 1


@pytest.mark.django_db
def test_a_resident_sees_their_own_case_in_full_without_a_log_entry(users, cats, in_grid):
    c = services.intake(
        channel="app",
        request_type="complaint",
        category=cats.road,
        description="小区门口路面塌陷有积水",
        user=users.resident,
        **in_grid,
    )
    assert users.resident.phone in _page(users.resident, c.number)
    assert users.resident.phone in _api(users.resident, c.number)
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_a_home_address_is_masked_like_the_phone_and_a_place_is_not(users, cats, in_grid):
    home = services.intake(
        channel="hotline",
        request_type="help",
        category=cats.road,
        description="家门口的路灯坏了三天",
        address="城关社区12号楼3单元501室",
        home_address=True,
        reporter_phone=PHONE,
        user=users.street,
        **in_grid,
    )
    place = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="菜市场门口路面破损",
        address="解放路88号菜市场",
        reporter_phone=PHONE,
        user=users.street,
        **in_grid,
    )
    for body in (_page(users.auditor, home.number), _api(users.auditor, home.number)):
        assert "12号楼" not in body and "城关社区**号楼*单元***室" in body
    assert "城关社区**号楼*单元***室" in _text(client_for(users.auditor).get("/api/v1/cases/"))
    assert "解放路88号菜市场" in _page(users.auditor, place.number)


@pytest.mark.django_db
def test_the_public_tracker_still_finds_a_case_by_number_and_phone(client, case):
    r = client.post("/cases/track/", {"number": case.number, "phone": PHONE})
    assert r.status_code == 200 and case.number in r.content.decode()
    assert PHONE not in r.content.decode().replace(f'value="{PHONE}"', "")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_reveals_the_phone_on_a_phone_with_a_reason(
    live_server, phone_page, login, users, cats, in_grid, units
):
    c = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone=PHONE,
        reporter_name=NAME,
        user=users.street,
        **in_grid,
    )
    login(phone_page, "street")
    phone_page.goto(f"{live_server.url}/cases/{c.number}/")
    assert MASKED_PHONE in phone_page.inner_text("#reporter")
    phone_page.click("text=查看完整联系方式")
    phone_page.fill("input[name=reason]", "回访诉求人")
    phone_page.click("#reporter button")
    phone_page.wait_for_selector(f"#reporter >> text={PHONE}")
    assert AccessLog.objects.filter(viewer=users.street, reason="回访诉求人").count() == 1
