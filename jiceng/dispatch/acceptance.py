"""The suggestions' acceptance (issue 16 item 3): what the operator filed against what was
suggested on screen, recorded per case in the intake transaction, and the rate per period
for the command centre and the API. No scikit-learn here: the intake views import this.

    record_suggestion(case, suggested, picked=None) -> SuggestionOutcome | None
    acceptance(user, region_code="", end=None, days=7) -> dict
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import scope

MAX_SUGGESTED = 3


def parse_suggested(raw: object) -> list[str]:
    """The suggestions an intake form or API client says it showed, best first: a list, or
    one string of paths joined by "|" (the hidden field `suggested`). Unusable entries are
    dropped; at most three, no repeats."""
    items = raw if isinstance(raw, list | tuple) else str(raw or "").split("|")
    out: list[str] = []
    for s in items:
        s = str(s).strip().strip("/")[:200]
        if s and s not in out:
            out.append(s)
    return out[:MAX_SUGGESTED]


def parse_picked(raw: object) -> bool | None:
    """The hidden field `suggestion_accepted`: "1" clicked a suggestion, "0" chose by hand."""
    if isinstance(raw, bool) or raw is None:
        return raw
    v = str(raw).strip().lower()
    return True if v in ("1", "true", "yes") else False if v in ("0", "false", "no") else None


def rank_of(path: str, suggested: list[str]) -> int | None:
    """1-based rank of the suggestion the filed category is (or lies under), else None."""
    for i, s in enumerate(suggested, start=1):
        if path == s or path.startswith(s + "/"):
            return i
    return None


def record_suggestion(case, suggested: object, picked: object = None):
    """Record, for a case just taken in, which suggestions were on screen and whether the
    filed category was one of them (its rank). Call it inside the intake's transaction;
    nothing is written when no suggestion was shown (`suggested` empty). Returns the row
    or None. A repeat for the same case (a resent form) leaves the first row."""
    from jiceng.dispatch.models import SuggestionOutcome

    shown = parse_suggested(suggested)
    if not shown or case is None:
        return None
    path = case.category.path if case.category_id else ""
    row, _ = SuggestionOutcome.objects.get_or_create(
        case=case,
        defaults={
            "created_at": case.created_at,
            "channel": case.channel,
            "suggested": shown,
            "category_path": path[:200],
            "rank": rank_of(path, shown) if path else None,
            "picked": parse_picked(picked),
        },
    )
    return row


def acceptance(user, region_code: str = "", end: datetime | None = None, days: int = 7) -> dict:
    """The acceptance rate of the suggestions over the `days` before `end`, in the caller's
    territory (or `region_code` under it): cases taken in with suggestions shown, how many
    were filed under one of them (by rank), how many by a click on a suggestion.

    {"region_code", "start", "end", "days", "shown", "accepted", "rate", "by_rank": [n1, n2,
    n3], "picked", "picked_known"}; rate is None when nothing was shown. PermissionDenied
    without `dispatch.hotwords`; Http404 for a region outside the territory."""
    from jiceng.dispatch.models import SuggestionOutcome

    scope.require(user, "dispatch.hotwords")
    mine = scope.scope_code(user)
    if mine is None:
        raise PermissionDenied("您没有管辖区域，无法查看采纳率")
    code = (region_code or "").strip() or mine
    if not code.startswith(mine) or (code and not code.isdigit()):
        raise Http404("该区域不在您的管辖范围内")
    if not 1 <= days <= 366:
        raise ValueError("统计周期为 1–366 天")
    end = end or timezone.now()
    start = end - timedelta(days=days)
    qs = SuggestionOutcome.objects.filter(created_at__gte=start, created_at__lt=end)
    if code:
        qs = qs.filter(case__region_code__startswith=code)
    ranks = list(qs.values_list("rank", "picked"))
    by_rank = [sum(1 for r, _ in ranks if r == i) for i in (1, 2, 3)]
    shown = len(ranks)
    accepted = sum(by_rank)
    return {
        "region_code": code,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": days,
        "shown": shown,
        "accepted": accepted,
        "rate": round(accepted / shown, 4) if shown else None,
        "by_rank": by_rank,
        "picked": sum(1 for _, p in ranks if p is True),
        "picked_known": sum(1 for _, p in ranks if p is not None),
    }
