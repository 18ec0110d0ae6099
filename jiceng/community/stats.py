"""Figures per village for the staff overview (one grouped query per figure, not per row)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils import timezone

from jiceng.community.models import Message, Publication, VillageSettings
from jiceng.territory.models import Region


def village_rows(villages: list[Region]) -> list[dict[str, Any]]:
    """[{"v": Region, "publications": n, "public": bool, ...}] for the given villages."""
    codes = [v.code for v in villages]
    pubs = dict(
        Publication.objects.filter(village_code__in=codes)
        .values_list("village_code")
        .annotate(n=Count("id"))
        .values_list("village_code", "n")
    )
    public = set(
        VillageSettings.objects.filter(village_code__in=codes, public_board=True).values_list(
            "village_code", flat=True
        )
    )
    now = timezone.now()
    waiting = Message.objects.filter(
        village_code__in=codes, replied_at__isnull=True, case_number=""
    )
    open_ = dict(
        waiting.values_list("village_code").annotate(n=Count("id")).values_list("village_code", "n")
    )
    late = dict(
        waiting.filter(due_at__lt=now)
        .values_list("village_code")
        .annotate(n=Count("id"))
        .values_list("village_code", "n")
    )
    return [
        {
            "v": v,
            "publications": pubs.get(v.code, 0),
            "public": v.code in public,
            "open": open_.get(v.code, 0),
            "overdue": late.get(v.code, 0),
        }
        for v in villages
    ]
