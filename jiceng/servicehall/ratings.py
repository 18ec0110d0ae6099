"""好差评 (GB/T 39734-2020): the applicant rates a finished application on five levels;
a 差评 (不满意 or 非常不满意) opens a rectification (整改) due in RECTIFY_DAYS working days,
answered to the applicant. Weekly satisfaction figures (二七区's weekly survey) count
非常满意, 满意 and 基本满意 as satisfied, as the standard's 好评 does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.servicehall import applications, facts, timelimits
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import Application, Rating, Rectification, Status

RECTIFY_DAYS = 5
RATEABLE = (Status.APPROVED, Status.REFUSED, Status.DELIVERED)


def rate(number: str, phone: str, score: int, comment: str = "",
         now: datetime | None = None) -> Rating:  # fmt: skip
    """The applicant's rating, once per application; raises Http404 / Refused."""
    now = now or timezone.now()
    if score not in Rating.LEVELS:
        raise Refused(gettext("评价须为 1–5 级"), "bad_score")
    if score <= 2 and not comment.strip():
        raise Refused(gettext("差评请写明不满意的原因，便于整改"), "reason_required")
    with transaction.atomic():
        app = applications.find_public(number, phone)
        app = Application.objects.select_for_update().get(pk=app.pk)
        if app.status not in RATEABLE:
            raise Refused(gettext("办件办结后才能评价"), "wrong_state")
        if Rating.objects.filter(application=app).exists():
            raise Refused(gettext("该办件已评价过"), "already_rated")
        r = Rating.objects.create(application=app, score=score, comment=comment.strip(), at=now)
        applications._event(app, "rating", f"好差评：{r.label}", None, now, comment.strip())
        if r.bad:
            due, _ = timelimits._add_workdays(facts.calendar(), now, RECTIFY_DAYS, facts.zone())
            Rectification.objects.create(rating=r, due=due)
            applications._event(app, "rectify_open", "差评整改立项", None, now,
                                f"{RECTIFY_DAYS} 个工作日内整改并答复", public=True)  # fmt: skip
    return r


def open_rectifications(user) -> QuerySet[Rectification]:
    scope.require(user, "servicehall.rectify")
    return (
        Rectification.objects.filter(done_at__isnull=True)
        .filter(scope.code_filter(user, "rating__application__region_code"))
        .select_related("rating", "rating__application", "rating__application__version__item")
        .order_by("due")
    )


def rectify(user, rect_id: int, reply: str, now: datetime | None = None) -> Rectification:
    """Close a rectification with the reply the applicant will read."""
    scope.require(user, "servicehall.rectify")
    now = now or timezone.now()
    if not reply.strip():
        raise Refused(gettext("请填写整改情况和给申请人的答复"), "reason_required")
    with transaction.atomic():
        rect = open_rectifications(user).select_for_update(of=("self",)).filter(pk=rect_id).first()
        if rect is None:
            raise Refused(gettext("整改任务不存在、已完成或不在您的管辖范围内"), "not_found")
        rect.reply, rect.done_at, rect.done_by = reply.strip(), now, user
        rect.save(update_fields=["reply", "done_at", "done_by"])
        applications._event(rect.rating.application, "rectify_done", "差评整改答复", user, now,
                            reply.strip())  # fmt: skip
    return rect


def satisfied_q() -> Q:
    return Q(score__gte=3)


def weekly(qs: QuerySet[Rating], weeks: int = 8, now: datetime | None = None) -> list[dict]:
    """Per ISO week (Monday start, local time), newest last: ratings, satisfied, share, bad."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)  # fmt: skip
    out = []
    for i in range(weeks - 1, -1, -1):
        start = monday - timedelta(weeks=i)
        end = start + timedelta(weeks=1)
        agg = qs.filter(at__gte=start, at__lt=end).aggregate(
            n=Count("id"), ok=Count("id", filter=satisfied_q()),
            bad=Count("id", filter=Q(score__lte=2)), avg=Avg("score"))  # fmt: skip
        n = agg["n"] or 0
        out.append({
            "week": f"{start.isocalendar().year}-W{start.isocalendar().week:02d}",
            "from": start.date().isoformat(),
            "ratings": n,
            "satisfied": agg["ok"] or 0,
            "bad": agg["bad"] or 0,
            "satisfaction": round((agg["ok"] or 0) / n, 4) if n else None,
            "average": round(agg["avg"], 2) if agg["avg"] is not None else None,
        })  # fmt: skip
    return out
