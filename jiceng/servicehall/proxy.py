"""Proxy handling (帮办代办, 松阳 "1+N"): requests from residents, agents per village,
workload, quarterly review by villagers, random-sample return calls.

Assignment rule: a request goes to an active agent of the resident's village with the
fewest open requests (ties: the longest-serving agent); without one it waits for the
town's window (待分派). An appointment is due on the day wanted, or within
ANSWER_WORKDAYS working days.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.servicehall import facts, timelimits
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import (
    DONE_STATUSES,
    AgentReview,
    Application,
    ProxyAgent,
    ProxyRequest,
    RequestStatus,
    ReturnCall,
    ReturnSample,
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
        raise Refused(gettext("该事项不存在或尚未发布"), "unknown_item")
    region = Region.objects.filter(code=data.region_code, level=Level.VILLAGE).first()
    if region is None:
        raise Refused(gettext("请选择所在村（社区）"), "unknown_region")
    if data.wanted_on and data.wanted_on < timezone.localdate(now):
        raise Refused(gettext("预约日期不能早于今天"), "bad_date")
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
            raise Refused(gettext("代办预约不存在或不在您的管辖范围内"), "not_found")
        agent = ProxyAgent.objects.filter(
            pk=agent_id, active=True, region_code=req.region_code
        ).first()
        if agent is None:
            raise Refused(gettext("只能分派给本村在岗代办员"), "bad_agent")
        req.agent, req.status = agent, RequestStatus.ASSIGNED
        req.save(update_fields=["agent", "status"])
    return req


def review(user, agent_id: int, data: AgentReviewIn, now: datetime | None = None) -> AgentReview:
    """Record one quarterly review of an agent (by a villager or cadre) — 松阳's 述职评议."""
    scope.require(user, "servicehall.agents")
    now = now or timezone.now()
    agent = ProxyAgent.objects.filter(scope.code_filter(user, "region_code"), pk=agent_id).first()
    if agent is None:
        raise Refused(gettext("代办员不存在或不在您的管辖范围内"), "not_found")
    if data.quarter > quarter_of(now):
        raise Refused(gettext("不能评议尚未到来的季度"), "bad_quarter")
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


QUARTER = re.compile(r"^(20\d\d)Q([1-4])$")


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    m = QUARTER.match(quarter or "")
    if m is None:
        raise Refused(gettext("季度格式应为 2026Q4"), "bad_quarter")
    year, q = int(m.group(1)), int(m.group(2))
    start_month = 3 * (q - 1) + 1
    tz = facts.zone()
    start = datetime(year, start_month, 1, tzinfo=tz)
    end = datetime(year + (start_month + 3 > 12), (start_month + 3 - 1) % 12 + 1, 1, tzinfo=tz)
    return start, end


def return_pool(user, quarter: str) -> list[Application]:
    """Proxied applications finished (办结、送达、不予办理) in the quarter, in the territory."""
    start, end = quarter_bounds(quarter)
    return list(
        Application.objects.filter(scope.code_filter(user, "region_code"), agent__isnull=False,
                                   status__in=DONE_STATUSES, finished_at__gte=start,
                                   finished_at__lt=end).order_by("number")
    )  # fmt: skip


def _draw(pool: list[Application], quarter: str, territory: str, seed: str,
          size: int | None, share: float | None) -> list[Application]:  # fmt: skip
    k = size if size is not None else round(len(pool) * (share or 0))
    k = min(len(pool), max(1, k)) if pool else 0
    return sorted(random.Random(f"{quarter}:{territory}:{seed}").sample(pool, k),
                  key=lambda a: a.number)  # fmt: skip


def sample_for_return_calls(
    user, quarter: str, share: float = 0.1, seed: str = ""
) -> list[Application]:
    """松阳: each quarter a random sample of finished proxy applications is called back.

    A seeded draw (quarter + territory + seed) so the sample can be re-drawn and checked."""
    scope.require(user, "servicehall.agents")
    return _draw(
        return_pool(user, quarter), quarter, scope.scope_code(user) or "", seed, None, share
    )


def draw_sample(user, quarter: str, size: int | None = None, share: float | None = None,
                seed: str = "", now: datetime | None = None) -> ReturnSample:  # fmt: skip
    """Draw and record a sample: a size (number of applications) or a share (0–1]; the
    seed is recorded (a random one when none is given)."""
    scope.require(user, "servicehall.agents")
    if (size is None) == (share is None):
        raise Refused(gettext("请填写抽样数量或抽样比例（二选一）"), "size_or_share")
    if size is not None and not 1 <= size <= 500:
        raise Refused(gettext("抽样数量应在 1–500 之间"), "bad_size")
    if share is not None and not 0 < share <= 1:
        raise Refused(gettext("抽样比例应大于 0% 且不超过 100%"), "bad_share")
    seed = (seed or "").strip()[:40] or secrets.token_hex(4)
    territory = scope.scope_code(user) or ""
    pool = return_pool(user, quarter)
    if not pool:
        raise Refused(
            gettext("%(quarter)s 辖区内没有已办结的代办件") % {"quarter": quarter}, "empty_pool"
        )
    drawn = _draw(pool, quarter, territory, seed, size, share)
    return ReturnSample.objects.create(
        quarter=quarter, territory_code=territory, size=size, share=share, seed=seed,
        pool_size=len(pool), numbers=[a.number for a in drawn], drawn_by=user,
        drawn_at=now or timezone.now(),
    )  # fmt: skip


def samples(user):
    scope.require(user, "servicehall.agents")
    return ReturnSample.objects.filter(scope.code_filter(user, "territory_code")).select_related(
        "drawn_by")  # fmt: skip


def get_sample(user, pk: int) -> ReturnSample:
    s = samples(user).filter(pk=pk).first()
    if s is None:
        raise Refused(gettext("抽样不存在或不在您的管辖范围内"), "not_found")
    return s


def check_sample(sample: ReturnSample, user) -> bool:
    """Draw again with the recorded seed: the same numbers?"""
    pool = return_pool(user, sample.quarter)
    again = _draw(pool, sample.quarter, sample.territory_code, sample.seed, sample.size,
                  sample.share)  # fmt: skip
    return [a.number for a in again] == sample.numbers


def record_return_call(user, number: str, quarter: str, reached: bool,
                       satisfied: bool | None, note: str = "",
                       now: datetime | None = None,
                       sample: ReturnSample | None = None) -> ReturnCall:  # fmt: skip
    """The result of one sampled return call; an unreached call has no satisfaction.
    With a sample: only its applications, and one reached call each (unreached may be
    tried again)."""
    scope.require(user, "servicehall.agents")
    app = Application.objects.filter(scope.code_filter(user, "region_code"), number=number,
                                     agent__isnull=False).first()  # fmt: skip
    if app is None:
        raise Refused(gettext("代办件不存在或不在您的管辖范围内"), "not_found")
    if reached and satisfied is None:
        raise Refused(gettext("接通的回访须记录是否满意"), "satisfied_required")
    with transaction.atomic():
        if sample is not None:
            sample = ReturnSample.objects.select_for_update().get(pk=sample.pk)
            if number not in sample.numbers:
                raise Refused(gettext("该办件不在本次抽样之中"), "not_in_sample")
            if sample.calls.filter(application=app, reached=True).exists():
                raise Refused(gettext("该办件已回访接通，不能重复记录"), "already_called")
            quarter = sample.quarter
        return ReturnCall.objects.create(application=app, quarter=quarter, caller=user,
                                         at=now or timezone.now(), reached=reached,
                                         satisfied=satisfied if reached else None,
                                         note=note[:300], sample=sample)  # fmt: skip


def sample_rows(sample: ReturnSample) -> list[dict]:
    """The sample's applications with their agent and the latest call result."""
    apps_ = {a.number: a for a in Application.objects.filter(number__in=sample.numbers)
             .select_related("version__item", "agent__user", "region")}  # fmt: skip
    last: dict[int, ReturnCall] = {}
    for c in sample.calls.order_by("at", "id"):
        last[c.application_id] = c
    return [{"app": apps_[n], "call": last.get(apps_[n].pk)} for n in sample.numbers
            if n in apps_]  # fmt: skip


def sample_figures(sample: ReturnSample) -> list[dict]:
    """Per agent: sampled, reached, satisfied and the satisfaction share of reached calls."""
    per: dict[int, dict] = {}
    for row in sample_rows(sample):
        a, c = row["app"], row["call"]
        d = per.setdefault(a.agent_id, {"agent": a.agent.user.display_name if a.agent else "",
                                        "village": a.region.name, "sampled": 0, "called": 0,
                                        "reached": 0, "satisfied": 0})  # fmt: skip
        d["sampled"] += 1
        if c is not None:
            d["called"] += 1
            d["reached"] += int(c.reached)
            d["satisfied"] += int(bool(c.satisfied))
    for d in per.values():
        d["rate"] = round(d["satisfied"] / d["reached"], 4) if d["reached"] else None
    return sorted(per.values(), key=lambda d: d["agent"])
