"""Daily rollups: Σ of CaseFact counts per day × region × unit × exclusion reason.

A ranking reads these (a month of a 1 M-case county is tens of thousands of rows), never
the cases. Days are rebuilt whole from CaseFact whenever `facts.refresh` marked them dirty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction

from jiceng.assessment.models import COUNT_NAMES, CaseFact, DailyRollup, DirtyDay

KEY = ("region_code", "street_code", "village_code", "unit_id", "reason")


def aggregate(facts: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, float]]:
    """Facts (dicts with KEY, day, counts, extra_units) → {(day, *KEY): counts + cases}."""
    out: dict[tuple, dict[str, float]] = {}
    for f in facts:
        key = (f["day"], *(f[k] for k in KEY))
        acc = out.get(key)
        if acc is None:
            acc = out[key] = dict.fromkeys(COUNT_NAMES, 0)
            acc["cases"] = 0
        acc["cases"] += 1
        for n in COUNT_NAMES:
            v = f[n]
            if v:
                acc[n] += v
        for unit_id, counts in f.get("extra_units") or []:
            k2 = (f["day"], f["region_code"], f["street_code"], f["village_code"], unit_id,
                  f["reason"])  # fmt: skip
            acc2 = out.get(k2)
            if acc2 is None:
                acc2 = out[k2] = dict.fromkeys(COUNT_NAMES, 0)
                acc2["cases"] = 0
            for n, v in counts.items():
                acc2[n] += v
    return out


def rebuild_days(days: Iterable[date]) -> int:
    """Rebuild the rollup rows of these days from CaseFact. Returns rows written."""
    days = sorted(set(days))
    written = 0
    for i in range(0, len(days), 7):
        chunk = days[i : i + 7]
        facts = CaseFact.objects.filter(day__in=chunk).values("day", *KEY, "extra_units",
                                                              *COUNT_NAMES)  # fmt: skip
        agg = aggregate(facts.iterator(chunk_size=5000))
        rows = [
            DailyRollup(day=k[0], **dict(zip(KEY, k[1:], strict=True)), **v) for k, v in agg.items()
        ]
        with transaction.atomic():
            DailyRollup.objects.filter(day__in=chunk).delete()
            DailyRollup.objects.bulk_create(rows, batch_size=2000)
            DirtyDay.objects.filter(day__in=chunk).delete()
        written += len(rows)
    return written


def refresh_dirty() -> int:
    """Rebuild every day marked dirty (called before a ranking is read)."""
    days = list(DirtyDay.objects.values_list("day", flat=True))
    return rebuild_days(days) if days else 0


def rebuild_all() -> int:
    days = list(CaseFact.objects.values_list("day", flat=True).distinct())
    DailyRollup.objects.exclude(day__in=days).delete()
    return rebuild_days(days)
