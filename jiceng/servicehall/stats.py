"""Figures of the service hall: 提速率 (compression), 提前办结率 (early completion),
按时办结 (within the legal limit) and 好差评 per item, per accepting town and per period.

Definitions (六枝):
- compression = 1 − promised/legal of the version in force;
- early = finished before the promised deadline / finished with a deadline;
- on_time = finished within the legal deadline / finished with a deadline;
- satisfaction = (非常满意 + 满意 + 基本满意) / ratings (GB/T 39734 好评).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404

from jiceng.accounts import scope
from jiceng.servicehall.models import Application, ServiceItem, Status

FINISHED = [Status.APPROVED, Status.DELIVERED, Status.REFUSED]


def _share(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def figures(qs: QuerySet[Application]) -> dict:
    """Counts and rates over a set of applications (one aggregate query)."""
    fin = Q(status__in=FINISHED, promised_due__isnull=False, finished_at__isnull=False)
    agg = qs.aggregate(
        total=Count("id"),
        open=Count(
            "id", filter=Q(status__in=[Status.ACCEPTED, Status.IN_REVIEW, Status.SUSPENDED])
        ),
        awaiting=Count("id", filter=Q(status=Status.AWAITING)),
        finished=Count("id", filter=fin),
        early=Count("id", filter=fin & Q(finished_at__lt=F("promised_due"))),
        on_time=Count("id", filter=fin & Q(finished_at__lte=F("legal_due"))),
        rated=Count("rating"),
        satisfied=Count("rating", filter=Q(rating__score__gte=3)),
        bad=Count("rating", filter=Q(rating__score__lte=2)),
        avg=Avg("rating__score"),
    )
    return {
        **{k: agg[k] for k in ("total", "open", "awaiting", "finished", "early", "on_time",
                               "rated", "satisfied", "bad")},
        "early_rate": _share(agg["early"], agg["finished"]),
        "on_time_rate": _share(agg["on_time"], agg["finished"]),
        "satisfaction": _share(agg["satisfied"], agg["rated"]),
        "rating_avg": round(agg["avg"], 2) if agg["avg"] is not None else None,
    }  # fmt: skip


def item_figures(user, code: str, since: datetime | None = None) -> dict:
    """One item's figures in the user's territory."""
    scope.require(user, "servicehall.view")
    item = ServiceItem.objects.select_related("current").filter(code=code).first()
    if item is None or item.current is None:
        raise Http404("该事项不存在或尚未发布")
    qs = Application.objects.filter(scope.code_filter(user, "region_code"), version__item=item)
    if since:
        qs = qs.filter(created_at__gte=since)
    out = figures(qs)
    out["compression"] = round(item.current.compression, 4)
    out["legal_days"], out["promised_days"] = item.current.legal_days, item.current.promised_days
    return out


def by_town(user) -> list[dict]:
    """Per town (the 9-digit prefix of the applicant's village), within the user's territory."""
    scope.require(user, "servicehall.view")
    from jiceng.territory.models import Level, Region

    towns = Region.objects.filter(scope.code_filter(user), level=Level.STREET).order_by("code")
    base = Application.objects.filter(scope.code_filter(user, "region_code"))
    return [{"code": t.code, "name": t.name, **figures(base.filter(region_code__under=t.code))}
            for t in towns]  # fmt: skip
