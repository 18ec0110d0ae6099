"""A lookup by a value the viewer may not see is a view of it (issue 9, items 1–3 and 5):
full values only, only for roles that may see them, logged, and counted in the database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from jiceng.accounts.lookups import count_attempt
from jiceng.accounts.models import AccessLog, GuessCounter
from jiceng.cases import services
from jiceng.lib import idcard
from jiceng.testing import PASSWORD, client_for

PHONE = "13912340099"
ID = idcard.make("610921", date(1990, 1, 1), 123)
OTHER_ID = idcard.make("610921", date(1990, 1, 1), 124)


@pytest.fixture
def case(users, cats, in_grid, units):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone=PHONE,
        reporter_name="王秀英",
        user=users.street,
        **in_grid,
    )


def _api(user, path, **params):
    return client_for(user).get(f"/api/v1{path}", params)


def _lookups(user):
    return AccessLog.objects.filter(viewer=user, subject_type__startswith="lookup:")


# ---- cases: the API's phone= filter, the queue's q=, the hotline's earlier-calls lookup


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["139", "1391234", "139123400"])
def test_the_cases_api_never_matches_a_phone_prefix(users, case, prefix):
    r = _api(users.street, "/cases/", phone=prefix)
    assert r.status_code == 400
    assert "完整的电话号码" in r.json()["error"]["message"]
    assert not _lookups(users.street).exists()


@pytest.mark.django_db
def test_a_full_phone_finds_the_case_for_a_role_that_may_see_it_and_is_logged(users, case):
    for spelling in (PHONE, "+86 139-1234-0099"):
        r = _api(users.street, "/cases/", phone=spelling)
        assert r.status_code == 200, r.content
        assert [c["number"] for c in r.json()] == [case.number]
    log = _lookups(users.street)
    assert log.count() == 2
    assert {e.subject_id for e in log} == {"139****0099"}
    assert all(e.channel == "api" for e in log)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["auditor", "department", "grid_worker", "resident"])
def test_roles_that_see_the_phone_masked_may_not_search_by_it(users, case, role):
    r = _api(getattr(users, role), "/cases/", phone=PHONE)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.django_db
def test_the_queue_search_box_matches_no_phone_prefix(users, case):
    c = client_for(users.street)
    r = c.get("/cases/", {"tab": "all", "q": "1391234"})
    assert case.number not in r.content.decode()
    assert not _lookups(users.street).exists()
    r = c.get("/cases/", {"tab": "all", "q": PHONE})
    assert case.number in r.content.decode()
    assert _lookups(users.street).count() == 1
    # the auditor's box never matches a phone, even in full
    r = client_for(users.auditor).get("/cases/", {"tab": "all", "q": PHONE})
    assert case.number not in r.content.decode()


@pytest.mark.django_db
def test_the_hotline_lookup_answers_only_a_full_number(users, case):
    c = client_for(users.street)
    assert c.get("/cases/lookup/phone/", {"phone": "1391234"}).json()["cases"] == []
    found = c.get("/cases/lookup/phone/", {"phone": PHONE}).json()["cases"]
    assert [x["number"] for x in found] == [case.number]
    assert _lookups(users.street).count() == 1


@pytest.mark.django_db
def test_lookups_are_throttled_past_the_limit(users, case, settings):
    settings.JICENG_LOOKUP_LIMIT = 3
    codes = [_api(users.street, "/cases/", phone=PHONE).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = _api(users.street, "/cases/", phone=PHONE)
    assert "频繁" in r.json()["error"]["message"]
    # the count lives in the database, where every server process reads it
    assert GuessCounter.objects.get(key=f"lookup:{users.street.pk}").count == 6
    assert _lookups(users.street).count() == 3  # refused lookups match nothing


@pytest.mark.django_db
def test_the_counter_starts_again_after_its_window(db):
    w = timedelta(minutes=10)
    assert [count_attempt("k", 2, w) for _ in range(3)] == [False, False, True]
    GuessCounter.objects.filter(key="k").update(
        window_start=GuessCounter.objects.get(key="k").window_start - w
    )
    assert count_attempt("k", 2, w) is False


@pytest.mark.django_db
def test_the_public_tracker_counts_guesses_in_the_database(case, settings, monkeypatch):
    from jiceng.cases import views

    monkeypatch.setattr(views, "TRACK_LIMIT", 2)
    c = Client()
    codes = [
        c.post("/cases/track/", {"number": case.number, "phone": f"1391234{i:04d}"}).status_code
        for i in range(3)
    ]
    assert codes == [404, 404, 429]
    assert GuessCounter.objects.get(key="cases-track:127.0.0.1").count == 3


# ---- people: search by ID number or phone


@pytest.fixture
def resident(users, territory):
    from jiceng.people import services as people

    h = people.create_household(
        users.district,
        {"number": "HY-1", "grid_code": territory.grid3a.code, "address": "城关社区1号"},
    )
    return people.create_resident(
        users.district,
        {
            "household_id": h.id,
            "name": "李四",
            "id_type": "id_card",
            "id_number": ID,
            "phone": "13700001111",
            "relation": "head",
        },
    )


@pytest.mark.django_db
def test_the_auditor_may_not_search_residents_by_id_number(users, resident):
    r = client_for(users.auditor).post(
        "/api/v1/people/residents/search", {"q": ID}, content_type="application/json"
    )
    assert r.status_code == 403
    # by name: still allowed (names are not masked)
    r = client_for(users.auditor).post(
        "/api/v1/people/residents/search", {"q": "李四"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["total"] == 1


@pytest.mark.django_db
def test_id_and_phone_searches_are_logged_and_throttled(users, resident, settings):
    settings.JICENG_LOOKUP_LIMIT = 2
    c = client_for(users.district)
    post = lambda q: c.post(  # noqa: E731
        "/api/v1/people/residents/search", {"q": q}, content_type="application/json"
    )
    assert post(ID).json()["total"] == 1
    assert post("137 0000 1111").json()["total"] == 1
    assert post(OTHER_ID).status_code == 429
    log = _lookups(users.district)
    assert {e.subject_type for e in log} == {"lookup:id_number", "lookup:phone"}
    assert ID not in {e.subject_id for e in log}


@pytest.mark.django_db
def test_the_search_page_says_when_a_role_may_not_search_by_number(users, resident):
    r = client_for(users.auditor).post("/people/search/", {"q": ID})
    assert r.status_code == 200
    assert "不能按证件号码或电话查找" in r.content.decode()


# ---- possible duplicates: only what the caller may see


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["resident", "other_street", "department"])
def test_possible_duplicates_never_show_cases_the_caller_may_not_see(users, case, cats, role):
    r = client_for(getattr(users, role)).get(
        "/cases/lookup/duplicates/", {"category": cats.road.code, "region": case.region_code[:12]}
    )
    assert r.status_code == 200
    assert r.json()["cases"] == []


@pytest.mark.django_db
def test_possible_duplicates_are_shown_to_who_may_see_them(users, case, cats):
    r = client_for(users.street).get(
        "/cases/lookup/duplicates/", {"category": cats.road.code, "region": case.region_code[:12]}
    )
    assert [c["number"] for c in r.json()["cases"]] == [case.number]


# ---- login lockout: forwarded addresses only from trusted proxies


def _fail(c, xff=None, remote="127.0.0.1"):
    extra = {"REMOTE_ADDR": remote}
    if xff:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return c.post("/accounts/login/", {"username": "street", "password": "wrong"}, **extra)


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_lockout(users, settings):
    c = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _fail(c, xff=f"10.0.0.{i}")
    r = c.post(
        "/accounts/login/",
        {"username": "street", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert r.status_code == 429


@pytest.mark.django_db
def test_a_trusted_proxy_passes_the_client_address_on(users, settings):
    settings.JICENG_TRUSTED_PROXIES = ["127.0.0.0/8"]
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(c, xff="203.0.113.7")
    # another client behind the same proxy is not locked out
    r = c.post(
        "/accounts/login/",
        {"username": "street", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert r.status_code in (200, 302) and "_auth_user_id" in c.session
    # the locked one stays locked, whatever it adds in front of the chain
    r = _fail(Client(), xff="1.2.3.4, 203.0.113.7")
    assert r.status_code == 429


@pytest.mark.parametrize(
    ("remote", "xff", "trusted", "expected"),
    [
        ("198.51.100.1", "1.1.1.1", [], "198.51.100.1"),
        ("198.51.100.1", "1.1.1.1", ["127.0.0.1"], "198.51.100.1"),
        ("127.0.0.1", "1.1.1.1", ["127.0.0.1"], "1.1.1.1"),
        ("127.0.0.1", "6.6.6.6, 1.1.1.1", ["127.0.0.1"], "1.1.1.1"),
        ("127.0.0.1", "1.1.1.1, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"], "1.1.1.1"),
        ("127.0.0.1", "not-an-ip", ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ],
)
def test_client_ip_rules(rf, settings, remote, xff, trusted, expected):
    from jiceng.lib.clientip import client_ip

    settings.JICENG_TRUSTED_PROXIES = trusted
    req = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(req) == expected


def test_jiceng_serve_leaves_forwarded_headers_to_the_application(monkeypatch):
    """uvicorn's default trusts X-Forwarded-For from 127.0.0.1: `jiceng serve` turns it off."""
    import uvicorn
    from django.core.management import call_command

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    call_command("serve", "--workers", "1")
    assert seen["proxy_headers"] is False
