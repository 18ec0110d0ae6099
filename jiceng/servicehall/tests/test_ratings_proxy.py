"""好差评 with rectification, weekly satisfaction; proxy requests, agents' workload and
quarterly review; each with a refused user."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from jiceng.servicehall import applications as apps
from jiceng.servicehall import proxy, ratings, stats
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import Rating, Rectification, RequestStatus
from jiceng.servicehall.schemas import AgentReviewIn, ProxyRequestIn
from jiceng.servicehall.tests.test_applications import MON, form, mv

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")


def finished(hall, code="RS-001", phone="13912345678", at=None):
    app = apps.intake(hall.village_clerk, form(hall, code, phone=phone), now=MON)
    mv(hall.village_clerk, app, "pass", now=MON)
    return mv(hall.town_clerk, app, "approve", now=at or datetime(2026, 11, 23, 15, tzinfo=Z))


def test_a_bad_rating_opens_a_rectification_with_a_deadline_and_a_reply(hall):
    app = finished(hall)
    with pytest.raises(Refused, match="写明不满意的原因"):
        ratings.rate(app.number, app.applicant_phone, 2)
    r = ratings.rate(app.number, app.applicant_phone, 2, "窗口让我跑了两趟",
                     now=datetime(2026, 11, 24, 10, tzinfo=Z))  # fmt: skip
    rect = Rectification.objects.get(rating=r)
    assert rect.due == datetime(2026, 12, 1, 10, tzinfo=Z)  # 5 working days
    with pytest.raises(Refused, match="已评价过"):
        ratings.rate(app.number, app.applicant_phone, 5)
    # another town's clerk cannot close it; a role without rectify cannot list it
    with pytest.raises(Refused, match="不在您的管辖范围内"):
        ratings.rectify(hall.other_town_clerk, rect.pk, "已整改")
    with pytest.raises(PermissionDenied):
        ratings.open_rectifications(hall.agent_user)
    ratings.rectify(hall.town_clerk, rect.pk, "已约谈窗口人员，材料清单改为一次性告知书")
    assert app.events.filter(kind="rectify_done", public=True).exists()


def test_only_the_applicant_rates_and_only_a_finished_application(hall):
    app = apps.intake(hall.village_clerk, form(hall, "RS-001"), now=MON)
    with pytest.raises(Refused, match="办结后才能评价"):
        ratings.rate(app.number, app.applicant_phone, 5)
    with pytest.raises(Http404):
        ratings.rate(app.number, "13000000000", 5)


def test_weekly_satisfaction_counts_basic_satisfaction_as_satisfied(hall):
    for i, score in enumerate([5, 3, 1]):
        app = finished(hall, phone=f"1391234567{i}")
        ratings.rate(app.number, app.applicant_phone, score, "慢" if score < 3 else "",
                     now=datetime(2026, 11, 25, 10, tzinfo=Z))  # fmt: skip
    weeks = ratings.weekly(Rating.objects.all(), 2, now=datetime(2026, 11, 27, tzinfo=Z))
    assert weeks[-1]["week"] == "2026-W48" and weeks[-1]["ratings"] == 3
    assert weeks[-1]["satisfaction"] == round(2 / 3, 4) and weeks[-1]["bad"] == 1
    assert weeks[0]["ratings"] == 0 and weeks[0]["satisfaction"] is None


def test_item_figures_early_completion_and_compression(hall):
    finished(hall, code="MZ-004")  # approved the same day: early
    app = apps.intake(hall.village_clerk, form(hall, "MZ-004", phone="13912340000"), now=MON)
    mv(hall.village_clerk, app, "pass", now=MON)
    mv(hall.town_clerk, app, "approve", now=datetime(2026, 12, 4, 10, tzinfo=Z))  # late
    f = stats.item_figures(hall.town_clerk, "MZ-004")
    assert f["finished"] == 2 and f["early"] == 1 and f["early_rate"] == 0.5
    assert f["on_time"] == 2 and f["compression"] == round(1 - 5 / 15, 4)
    assert stats.item_figures(hall.other_town_clerk, "MZ-004")["total"] == 0


def req(hall, **kw) -> ProxyRequestIn:
    # wanted a few days from the real today: the booking refuses dates in the past, and
    # callers without `now=` are checked against the clock
    soon = timezone.localdate() + timedelta(days=3)
    base = dict(kind="home", item_code="MZ-001", resident_name="王德福",
                resident_phone="13700001111", region_code=hall.t.village2.code,
                wanted_on=soon, address="五一村三组")  # fmt: skip
    base.update(kw)
    return ProxyRequestIn(**base)


def test_a_proxy_request_goes_to_the_villages_agent_who_then_takes_the_application(hall):
    r = proxy.request(req(hall), now=MON)
    assert r.agent == hall.agent and r.status == RequestStatus.ASSIGNED
    assert list(proxy.my_requests(hall.agent_user)) == [r]
    with pytest.raises(PermissionDenied):
        proxy.my_requests(hall.users.street)
    app = apps.intake(hall.agent_user, form(hall, "MZ-001", channel="home",
                                            proxy_request_id=r.pk), now=MON)  # fmt: skip
    r.refresh_from_db()
    assert r.status == RequestStatus.DONE and r.application == app and app.channel == "home"
    # a village without an agent: the request waits for the town's window
    r2 = proxy.request(req(hall, region_code=hall.t.village1.code), now=MON)
    assert r2.agent is None and r2.status == RequestStatus.OPEN
    with pytest.raises(Refused, match="不能早于今天"):
        proxy.request(req(hall, wanted_on=date(2026, 1, 1)), now=MON)


def test_quarterly_review_of_agents_and_their_board(hall):
    staff = hall.users.community  # 城关社区 staff: not 五一村's
    with pytest.raises(Refused, match="不在您的管辖范围内"):
        proxy.review(
            staff, hall.agent.pk, AgentReviewIn(quarter="2026Q4", reviewer="张三", score=5)
        )
    with pytest.raises(PermissionDenied):
        proxy.review(hall.agent_user, hall.agent.pk, AgentReviewIn(quarter="2026Q4",
                                                                   reviewer="x", score=5))  # fmt: skip
    now = datetime(2026, 11, 28, tzinfo=Z)
    for s in (5, 4):
        proxy.review(hall.users.street, hall.agent.pk,
                     AgentReviewIn(quarter="2026Q4", reviewer="村民代表", score=s), now=now)  # fmt: skip
    with pytest.raises(Refused, match="尚未到来"):
        proxy.review(hall.users.street, hall.agent.pk,
                     AgentReviewIn(quarter="2027Q1", reviewer="x", score=3), now=now)  # fmt: skip
    proxy.request(req(hall), now=MON)
    (row,) = proxy.agent_board(hall.users.street, "2026Q4")
    assert row["review_avg"] == 4.5 and row["reviews"] == 2 and row["open"] == 1
    assert proxy.agent_board(hall.other_town_clerk, "2026Q4") == []


def test_a_random_sample_of_proxied_applications_for_return_calls(hall):
    for i in range(10):
        apps.intake(hall.agent_user, form(hall, "MZ-001", phone=f"1380000000{i}"),
                    now=datetime(2026, 11, 2 + i, 10, tzinfo=Z))  # fmt: skip
    a = proxy.sample_for_return_calls(hall.users.street, "2026Q4", 0.3)
    b = proxy.sample_for_return_calls(hall.users.street, "2026Q4", 0.3)
    assert len(a) == 3 and a == b  # seeded: the sample can be re-drawn and checked
    assert proxy.sample_for_return_calls(hall.users.street, "2026Q3", 0.3) == []


def test_a_return_call_result_is_recorded_by_the_town_not_by_the_agent(hall):
    app = apps.intake(hall.agent_user, form(hall, "MZ-001"), now=MON)
    with pytest.raises(PermissionDenied):
        proxy.record_return_call(hall.agent_user, app.number, "2026Q4", True, True)
    with pytest.raises(Refused, match="不在您的管辖范围内"):
        proxy.record_return_call(hall.users.other_street, app.number, "2026Q4", True, True)
    with pytest.raises(Refused, match="是否满意"):
        proxy.record_return_call(hall.users.street, app.number, "2026Q4", True, None)
    call = proxy.record_return_call(hall.users.street, app.number, "2026Q4", True, True, "很方便")
    assert call.satisfied is True


def test_a_waiting_booking_is_assigned_only_to_an_agent_of_its_village_by_its_town(hall):
    from jiceng.servicehall.models import ProxyAgent, ProxyKind
    from jiceng.testing import make_user

    waiting = proxy.request(req(hall, region_code=hall.t.village1.code), now=MON)
    assert waiting.agent is None
    with pytest.raises(Refused, match="只能分派给本村在岗代办员"):
        proxy.assign(hall.town_clerk, waiting.pk, hall.agent.pk)  # 五一村's agent, not 城关社区's
    with pytest.raises(Refused, match="不在您的管辖范围内"):
        proxy.assign(hall.other_town_clerk, waiting.pk, hall.agent.pk)
    with pytest.raises(PermissionDenied):
        proxy.assign(hall.agent_user, waiting.pk, hall.agent.pk)
    u = make_user("agent2", "proxy_agent", hall.t.village1, full_name="代办员沈小燕")
    local = ProxyAgent.objects.create(user=u, region=hall.t.village1,
                                      region_code=hall.t.village1.code, kind=ProxyKind.GRID)  # fmt: skip
    r = proxy.assign(hall.town_clerk, waiting.pk, local.pk)
    assert r.agent == local and r.status == RequestStatus.ASSIGNED
