"""GET requests / requests/{id} / tokens: the mapping from a case, the filters, the window."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from jiceng.cases import services as cases
from jiceng.open311.tests.conftest import IN_GRID

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=TZ)


def take(cat, text="路面坑洼需要修补一下", *, channel="open311", when=NOW, rtype="complaint"):
    return cases.intake(
        channel=channel,
        request_type=rtype,
        category=cat,
        description=text,
        lat=float(IN_GRID["lat"]),
        lon=float(IN_GRID["long"]),
        extra={"households": 1} if cat.extra_fields else None,
        now=when,
    )


def get(path: str) -> list[dict]:
    resp = Client().get("/open311/v2/" + path)
    assert resp.status_code == 200, resp.content.decode()
    return json.loads(resp.content)


def numbers(path: str) -> list[str]:
    return [r["service_request_id"] for r in get(path)]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.mark.django_db
def test_a_closed_case_reads_closed_with_its_public_note_agency_and_dates(cats, users, frozen):
    case = take(cats.road)
    case = cases.transition(case, "register", user=users.street)
    case = cases.transition(case, "dispatch", user=users.street)
    (r,) = get(f"requests/{case.number}.json")
    assert r["status"] == "open" and r["agency_responsible"] == "汉阴县住房和城乡建设局"
    assert r["expected_datetime"] == case.deadline.astimezone(TZ).isoformat(timespec="seconds")
    case = cases.transition(case, "accept", user=users.department)
    case = cases.transition(
        case, "report_handling", user=users.department, reason="已用沥青修补完毕"
    )
    case = cases.transition(case, "verify_close", user=users.street)
    (r,) = get(f"requests/{case.number}.json")
    assert r["status"] == "closed"
    assert r["status_notes"] == "已用沥青修补完毕"
    assert r["requested_datetime"] == "2026-11-22T10:00:00+08:00"
    assert r["updated_datetime"] == "2026-11-22T10:00:00+08:00"
    assert r["service_notice"] is None
    assert numbers("requests.json?status=closed") == [case.number]
    assert numbers("requests.json?status=open") == []
    assert numbers("requests.json?status=open,closed") == [case.number]
    assert numbers("requests.json?status=open&status=closed") == [case.number]


@pytest.mark.django_db
def test_a_cancelled_case_reads_closed_with_the_reason(cats, users, frozen):
    case = take(cats.road)
    case = cases.transition(case, "cancel", user=users.street, reason="重复提交")
    (r,) = get(f"requests/{case.number}.json")
    assert r["status"] == "closed" and "重复提交" in r["status_notes"]


@pytest.mark.django_db
def test_only_published_channels_are_read_and_never_a_report_of_wrongdoing(
    cats, users, frozen, settings
):
    mine = take(cats.road)
    hotline = take(cats.road, channel="hotline")
    secret = take(cats.road, channel="web", rtype="report")
    web = take(cats.road, channel="web")
    assert numbers("requests.json") == [mine.number]
    assert Client().get(f"/open311/v2/requests/{hotline.number}.json").status_code == 404
    settings.JICENG_OPEN311_PUBLISH_CHANNELS = ["open311", "web"]
    assert set(numbers("requests.json")) == {mine.number, web.number}
    assert Client().get(f"/open311/v2/requests/{secret.number}.json").status_code == 404


@pytest.mark.django_db
def test_the_default_window_is_the_last_90_days_newest_first(cats, frozen):
    old = take(cats.road, when=NOW - timedelta(days=91))
    a = take(cats.road, when=NOW - timedelta(days=89))
    b = take(cats.litter, when=NOW - timedelta(hours=1))
    assert numbers("requests.json") == [b.number, a.number]
    # empty parameters are the same as absent ones
    assert numbers("requests.json?start_date=&end_date=&status=&service_code=") == [
        b.number,
        a.number,
    ]
    # service_request_id overrides the window and every other filter
    assert numbers(f"requests.json?service_request_id={old.number}&status=closed") == [old.number]


@pytest.mark.django_db
def test_dates_filter_on_requested_datetime_in_any_w3_form(cats, frozen):
    a = take(cats.road, when=datetime(2026, 11, 1, 9, 0, tzinfo=TZ))
    b = take(cats.road, when=datetime(2026, 11, 10, 9, 0, tzinfo=TZ))
    assert numbers("requests.json?start_date=2026-11-05T00:00:00Z") == [b.number]
    assert numbers("requests.json?end_date=2026-11-05") == [a.number]
    assert numbers("requests.json?start_date=2026-11-01&end_date=2026-11-01") == [a.number]
    # '+' sent unencoded arrives as a space; it still means +08:00
    assert numbers("requests.json?start_date=2026-11-10T09:00:00+08:00") == [b.number]
    assert numbers("requests.json?start_date=2026-11-10T09:00:00%2B08:00") == [b.number]
    assert numbers("requests.json?start_date=2026-11-10T01:00:01Z") == []


@pytest.mark.django_db
def test_service_code_filters_by_a_comma_list(cats, frozen):
    a = take(cats.road)
    b = take(cats.litter)
    assert numbers("requests.json?service_code=1002") == [b.number]
    assert set(numbers("requests.json?service_code=1001,1002")) == {a.number, b.number}
    assert set(numbers("requests.json?service_code=1001&service_code=1002")) == {a.number, b.number}
    assert numbers("requests.json?service_code=404") == []


@pytest.mark.django_db
def test_no_more_than_the_limit_is_returned(cats, frozen, monkeypatch):
    from jiceng.open311 import resources

    monkeypatch.setattr(resources, "MAX_REQUESTS", 2)
    made = [take(cats.litter, when=NOW - timedelta(minutes=i)) for i in range(3)]
    assert numbers("requests.json") == [made[0].number, made[1].number]


@pytest.mark.django_db
def test_a_single_request_is_still_a_list_in_both_formats(cats, frozen):
    case = take(cats.road, "路灯不亮，夜里一片漆黑。")
    body = get(f"requests/{case.number}.json")
    assert isinstance(body, list) and len(body) == 1
    resp = Client().get(f"/open311/v2/requests/{case.number}.xml")
    root = ET.fromstring(resp.content)
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    fields = [c.tag for c in root[0]]
    assert fields == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert root[0].findtext("description") == "路灯不亮，夜里一片漆黑。"
    assert root[0].findtext("lat") == "32.805"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_gives_its_service_request_id(cats, api_key, fmt):
    from jiceng.open311.models import Submission

    resp = Client().post(
        f"/open311/v2/requests.{fmt}",
        {
            "api_key": api_key,
            "service_code": "1002",
            "address_string": "五一村村口",
            "description": "垃圾堆了好几天了",
        },
    )
    assert resp.status_code == 200
    sub = Submission.objects.get()
    assert b"token" not in resp.content  # realtime: the id, not a token
    resp = Client().get(f"/open311/v2/tokens/{sub.token}.{fmt}")
    assert resp.status_code == 200
    if fmt == "json":
        assert resp.json() == [{"service_request_id": sub.case.number, "token": sub.token}]
    else:
        req = ET.fromstring(resp.content).find("request")
        assert req.findtext("service_request_id") == sub.case.number
        assert req.findtext("token") == sub.token


@pytest.mark.django_db
def test_the_request_list_takes_a_fixed_number_of_queries(
    cats, frozen, django_assert_max_num_queries
):
    for _ in range(5):
        take(cats.road)
    with django_assert_max_num_queries(3):
        assert len(get("requests.json")) == 5
