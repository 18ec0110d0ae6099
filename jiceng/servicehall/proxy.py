"""Proxy handling (帮办代办, 松阳 "1+N"): requests from residents, agents per village,
workload, quarterly review by villagers, random-sample return calls.

Assignment rule: a request goes to an active agent of the resident's village with the
fewest open requests (ties: the longest-serving agent); without one it waits for the
town's window (待分派). An appointment is due on the day wanted, or within
ANSWER_WORKDAYS working days.
"""

from __future__ import annotations

import random
from datetime import datetime

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from jiceng.accounts import scope
from jiceng.servicehall import facts, timelimits
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import (
    AgentReview,
    Application,
    ProxyAgent,
    ProxyRequest,
    RequestStatus,
    ReturnCall,
    ServiceItem,
)
from jiceng.servicehall.schemas import AgentReviewIn, ProxyRequestIn
from jiceng.territory.models import Level, Region

ANSWER_WORKDAYS = 2


def quarter_of(dt: datetime) -> str:
    local = timezone.localtime(dt)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def pick_agent(region_code: str) -> ProxyAgent | None:
    return (
        ProxyAgent.objects.filter(region_code=region_code, active=True)
        .annotate(load=Count("requests", filter=Q(requests__status=RequestStatus.ASSIGNED)))
        .order_by("load", "id")
        .select_related("user")
        .first()
    )


def request(data: ProxyRequestIn, now: datetime | None = None) -> ProxyRequest:
    """A resident's booking; assigned at once to the village's least-loaded agent."""
    now = now or timezone.now()
    item = ServiceItem.objects.filter(code=data.item_code, current__isnull=False).first()
    if item is None:
        raise Refused("该事项不存在或尚未发布", "unknown_item")
    region = Region.objects.filter(code=data.region_code, level=Level.VILLAGE).first()
    if region is None:
        raise Refused("请选择所在村（社区）", "unknown_region")
    if data.wanted_on and data.wanted_on < timezone.localdate(now):
        raise Refused("预约日期不能早于今天", "bad_date")
    with transaction.atomic():
        agent = pick_agent(region.code)
        due, _ = timelimits._add_workdays(facts.calendar(), now, ANSWER_WORKDAYS, facts.zone())
        req = ProxyRequest.objects.create(
            kind=data.kind, item=item, resident_name=data.resident_name.strip(),
            resident_phone=data.resident_phone, address=data.address, region=region,
            region_code=region.code, wanted_on=data.wanted_on, note=data.note,
            status=RequestStatus.ASSIGNED if agent else RequestStatus.OPEN, agent=agent,
            due=due, created_at=now,
        )  # fmt: skip
    return req


def my_requests(user):
    """An agent's own open requests (the phone page), earliest due first."""
    scope.require(user, "servicehall.proxy")
    return (
        ProxyRequest.objects.filter(agent__user=user, status=RequestStatus.ASSIGNED)
        .select_related("item", "item__current", "region")
        .order_by("due")
    )


def assign(user, req_id: int, agent_id: int) -> ProxyRequest:
    """A window clerk or village staff hands a request to an agent of the same village."""
    scope.require(user, "servicehall.assign")
    with transaction.atomic():
        req = (
            ProxyRequest.objects.select_for_update()
            .filter(scope.code_filter(user, "region_code"), pk=req_id)
            .first()
        )
        if req is None:
            raise Refused("代办预约不存在或不在您的管辖范围内", "not_found")
        agent = ProxyAgent.objects.filter(
            pk=agent_id, active=True, region_code=req.region_code
        ).first()
        if agent is None:
            raise Refused("只能分派给本村在岗代办员", "bad_agent")
        req.agent, req.status = agent, RequestStatus.ASSIGNED
        req.save(update_fields=["agent", "status"])
    return req


def review(user, agent_id: int, data: AgentReviewIn, now: datetime | None = None) -> AgentReview:
    """Record one quarterly review of an agent (by a villager or cadre) — 松阳's 述职评议."""
    scope.require(user, "servicehall.agents")
    now = now or timezone.now()
    agent = ProxyAgent.objects.filter(scope.code_filter(user, "region_code"), pk=agent_id).first()
    if agent is None:
        raise Refused("代办员不存在或不在您的管辖范围内", "not_found")
    if data.quarter > quarter_of(now):
        raise Refused("不能评议尚未到来的季度", "bad_quarter")
    return AgentReview.objects.create(agent=agent, quarter=data.quarter, reviewer=data.reviewer,
                                      score=data.score, comment=data.comment, at=now)  # fmt: skip


def agent_board(user, quarter: str) -> list[dict]:
    """Agents in the user's territory: open and done requests, applications carried,
    the quarter's review average and count. Fixed number of queries."""
    scope.require(user, "servicehall.view")
    rows = (
        ProxyAgent.objects.filter(scope.code_filter(user, "region_code"))
        .select_related("user", "region")
        .annotate(
            open=Count(
                "requests", filter=Q(requests__status=RequestStatus.ASSIGNED), distinct=True
            ),
            done=Count("requests", filter=Q(requests__status=RequestStatus.DONE), distinct=True),
        )
    )
    reviews = {
        r["agent"]: r
        for r in AgentReview.objects.filter(quarter=quarter)
        .values("agent")
        .annotate(avg=Avg("score"), n=Count("id"))
    }
    carried = dict(
        Application.objects.filter(agent__in=[a.pk for a in rows])
        .values_list("agent")
        .annotate(n=Count("id"))
        .values_list("agent", "n")
    )
    return [
        {
            "id": a.pk, "name": a.user.display_name, "phone": a.user.phone,
            "village": a.region.name, "kind": a.get_kind_display(), "active": a.active,
            "open": a.open, "done": a.done, "applications": carried.get(a.pk, 0),
            "quarter": quarter,
            "review_avg": round(reviews[a.pk]["avg"], 2) if a.pk in reviews else None,
            "reviews": reviews[a.pk]["n"] if a.pk in reviews else 0,
        }
        for a in rows
    ]  # fmt: skip


def sample_for_return_calls(
    user, quarter: str, share: float = 0.1, seed: str = ""
) -> list[Application]:
    """松阳: each quarter a random sample of proxied applications is called back.

    A seeded draw (quarter + territory) so the sample can be re-drawn and checked."""
    scope.require(user, "servicehall.agents")
    year, q = int(quarter[:4]), int(quarter[-1])
    start_month = 3 * (q - 1) + 1
    tz = facts.zone()
    start = datetime(year, start_month, 1, tzinfo=tz)
    end = datetime(year + (start_month + 3 > 12), (start_month + 3 - 1) % 12 + 1, 1, tzinfo=tz)
    pool = list(
        Application.objects.filter(scope.code_filter(user, "region_code"), agent__isnull=False,
                                   created_at__gte=start, created_at__lt=end).order_by("number")
    )  # fmt: skip
    k = min(len(pool), max(1, round(len(pool) * share))) if pool else 0
    return random.Random(f"{quarter}:{scope.scope_code(user)}:{seed}").sample(pool, k)


def record_return_call(user, number: str, quarter: str, reached: bool,
                       satisfied: bool | None, note: str = "",
                       now: datetime | None = None) -> ReturnCall:  # fmt: skip
    """The result of one sampled return call; an unreached call has no satisfaction."""
    scope.require(user, "servicehall.agents")
    app = Application.objects.filter(scope.code_filter(user, "region_code"), number=number,
                                     agent__isnull=False).first()  # fmt: skip
    if app is None:
        raise Refused("代办件不存在或不在您的管辖范围内", "not_found")
    if reached and satisfied is None:
        raise Refused("接通的回访须记录是否满意", "satisfied_required")
    return ReturnCall.objects.create(application=app, quarter=quarter, caller=user,
                                     at=now or timezone.now(), reached=reached,
                                     satisfied=satisfied if reached else None, note=note)  # fmt: skip
