"""Figures of the service hall: 提速率 (compression), 提前办结率 (early completion),
按时办结 (within the legal limit) and 好差评 per item, per accepting town and per period.

Definitions (六枝):
- compression = 1 − promised/legal of the version in force;
- early = finished before the promised deadline / finished with a deadline;
- on_time = finished within the legal deadline / finished with a deadline;
- satisfaction = (非常满意 + 满意 + 基本满意) / ratings (GB/T 39734 好评).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.servicehall.models import Application, ServiceItem, Status

FINISHED = [Status.APPROVED, Status.DELIVERED, Status.REFUSED]


def _share(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _aggregates() -> dict:
    fin = Q(status__in=FINISHED, promised_due__isnull=False, finished_at__isnull=False)
    return dict(
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
        # 提速率 of the versions the applications were made under (weighted by application)
        compression=Avg(1.0 - Cast("version__promised_days", FloatField())
                        / Cast("version__legal_days", FloatField())),
    )  # fmt: skip


def _rates(agg: dict) -> dict:
    return {
        **{k: agg[k] for k in ("total", "open", "awaiting", "finished", "early", "on_time",
                               "rated", "satisfied", "bad")},
        "early_rate": _share(agg["early"], agg["finished"]),
        "on_time_rate": _share(agg["on_time"], agg["finished"]),
        "satisfaction": _share(agg["satisfied"], agg["rated"]),
        "rating_avg": round(agg["avg"], 2) if agg["avg"] is not None else None,
        "bad_share": _share(agg["bad"], agg["rated"]),
        "app_compression": round(agg["compression"], 4) if agg["compression"] is not None
        else None,
    }  # fmt: skip


def figures(qs: QuerySet[Application]) -> dict:
    """Counts and rates over a set of applications (one aggregate query)."""
    return _rates(qs.aggregate(**_aggregates()))


def in_period(qs: QuerySet[Application], since: date | None, until: date | None):
    """Applications taken in (created) from `since` to `until` inclusive, local days."""
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(created_at__gte=datetime.combine(since, time.min, tz))
    if until:
        qs = qs.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tz))
    return qs


# per item, per unit (the department that carries the item) and per window (the hall whose
# clerk took the application in: a village hall, a town centre or the county centre)
GROUPS = {
    "item": (("version__item__code", "version__item__name"), "事项"),
    "unit": (("version__item__department",), "实施部门"),
    "window": (("clerk__scope__code", "clerk__scope__name"), "受理窗口"),
}


def grouped(user, by: str, since: date | None = None, until: date | None = None) -> list[dict]:
    """Figures per item, unit or window in the user's territory and the period; one query."""
    scope.require(user, "servicehall.view")
    if by not in GROUPS:
        raise ValueError(gettext("分组只能是 item、unit 或 window"))
    keys, _label = GROUPS[by]
    qs = in_period(Application.objects.filter(scope.code_filter(user, "region_code")), since,
                   until)  # fmt: skip
    rows = qs.values(*keys).annotate(**_aggregates()).order_by(*keys)
    out = []
    for r in rows:
        key = r[keys[0]] or ""
        name = r[keys[-1]] or "（未设）"
        out.append({"key": key, "name": name, **_rates(r)})
    return out


def export_xlsx(rows: list[dict], by: str, since: date | None, until: date | None) -> bytes:
    """The grouped figures as a workbook (rates as percentages; text formula-safe)."""
    from openpyxl import Workbook

    from jiceng.servicehall.excel import safe

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "办件统计"
    span = f"{since or '开始'} 至 {until or '今'}"
    ws.append([f"便民服务办件统计（按{GROUPS[by][1]}） {span}"])
    head = [GROUPS[by][1], "编码", "办件", "办理中", "待补正", "已办结", "提前办结", "提前办结率",
            "法定时限内办结率", "提速率", "评价数", "好评率", "差评率", "平均评分"]  # fmt: skip
    ws.append(head)
    for r in rows:
        ws.append([safe(r["name"]), safe(r["key"]), r["total"], r["open"], r["awaiting"],
                   r["finished"], r["early"], r["early_rate"], r["on_time_rate"],
                   r["app_compression"], r["rated"], r["satisfaction"], r["bad_share"],
                   r["rating_avg"]])  # fmt: skip
    for col in ("H", "I", "J", "L", "M"):
        for cell in ws[col][2:]:
            cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def item_figures(user, code: str, since: date | None = None, until: date | None = None) -> dict:
    """One item's figures in the user's territory and period."""
    scope.require(user, "servicehall.view")
    item = ServiceItem.objects.select_related("current").filter(code=code).first()
    if item is None or item.current is None:
        raise Http404(gettext("该事项不存在或尚未发布"))
    qs = Application.objects.filter(scope.code_filter(user, "region_code"), version__item=item)
    out = figures(in_period(qs, since, until))
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


def parse_period(get, today: date) -> tuple[date | None, date | None, str, str]:
    """(since, until, preset, error) from a query string: `period` = month | quarter | year
    | all, or `since`/`until` as YYYY-MM-DD. A bad date is a Chinese error, not a 500."""
    preset = str(get.get("period", "") or "")
    if preset == "month":
        return today.replace(day=1), today, preset, ""
    if preset == "quarter":
        return today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1), today, preset, ""
    if preset == "year":
        return today.replace(month=1, day=1), today, preset, ""
    out: list[date | None] = []
    for k in ("since", "until"):
        raw = str(get.get(k, "") or "").strip()
        if not raw:
            out.append(None)
            continue
        try:
            out.append(date.fromisoformat(raw))
        except ValueError:
            return None, None, "", f"日期「{raw[:20]}」格式不正确，应为 年-月-日"
    since, until = out
    if since and until and since > until:
        return None, None, "", "开始日期不能晚于结束日期"
    return since, until, ("custom" if since or until else "all"), ""
