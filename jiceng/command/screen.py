"""The big screen's figures (大屏), from the same rollups and the same summary as the wall."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone

from jiceng.cases.workflow import OPEN_STATES
from jiceng.command import facts, wall
from jiceng.command.models import DayCount, StatusCount
from jiceng.territory.models import Region

DAYS = 30


def figures(user, now: datetime | None = None, days: int = DAYS) -> dict[str, Any]:
    """Everything the big screen plots, for the user's wall scope:

    {"summary": wall.summary(...),
     "days": ["2026-11-01", …],                      # the last `days` local days
     "intake": {channel_label: [n per day]},          # cases taken in per day and channel
     "top_categories": [{"name", "n"}] (10, last `days` days),
     "closed_by_tier": [{"tier", "label", "n", "share"}]  # who closed (小事不出网格)
     "overdue_units": [{"unit_name", "red", "open"}] (10),
     "grid_heat": [{"code", "name", "open"}] (15 grids with most open cases)}
    """
    prefix = wall.wall_prefix(user)
    now = now or timezone.now()
    summary = wall.summary(user, now)
    today = facts.local_day(now)
    start = today - timedelta(days=days - 1)
    day_list = [start + timedelta(days=i) for i in range(days)]
    rows = DayCount.objects.filter(region_code=prefix, day__gte=start, day__lte=today, n__gt=0)
    intake: dict[str, list[int]] = {}
    cats: dict[str, int] = {}
    tiers: dict[int, int] = {}
    index = {d: i for i, d in enumerate(day_list)}
    for kind, day, key, n in rows.values_list("kind", "day", "key", "n"):
        if kind == DayCount.CHANNEL:
            label = facts.CHANNEL_LABELS.get(key, key)
            intake.setdefault(label, [0] * days)[index[day]] += n
        elif kind == DayCount.CATEGORY:
            cats[key] = cats.get(key, 0) + n
        elif kind == DayCount.CLOSED_TIER and key.isdigit():
            tiers[int(key)] = tiers.get(int(key), 0) + n
    top = sorted(cats.items(), key=lambda kv: -kv[1])[:10]
    names = facts.category_names(int(k) for k, _ in top if k.isdigit() and k != "0")
    closed_total = sum(tiers.values())
    heat = list(
        StatusCount.objects.annotate(l=Length("region_code"))
        .filter(l__gt=12, status__in=sorted(OPEN_STATES), n__gt=0)
        .filter(region_code__startswith=prefix)
        .values("region_code")
        .annotate(open=Sum("n"))
        .order_by("-open")[:15]
    )
    grid_names = dict(
        Region.objects.filter(code__in=[h["region_code"] for h in heat]).values_list("code", "name")
    )
    return {
        "summary": summary,
        "days": [d.isoformat() for d in day_list],
        "intake": intake,
        "top_categories": [
            {"name": names.get(int(k), "未分类") if k.isdigit() else k, "n": n} for k, n in top
        ],
        "closed_by_tier": [
            {
                "tier": t,
                "label": wall.TIER_LABELS.get(t, str(t)),
                "n": tiers.get(t, 0),
                "share": round(tiers.get(t, 0) / closed_total, 4) if closed_total else 0.0,
            }
            for t in sorted(wall.TIER_LABELS)
        ],
        "overdue_units": sorted(
            (
                {"unit_name": u["unit_name"], "red": u["red"], "open": u["open"]}
                for u in summary["by_unit"]
                if u["red"]
            ),
            key=lambda u: -u["red"],
        )[:10],
        "grid_heat": [
            {
                "code": h["region_code"],
                "name": grid_names.get(h["region_code"], h["region_code"]),
                "open": h["open"],
            }
            for h in heat
        ],
    }
