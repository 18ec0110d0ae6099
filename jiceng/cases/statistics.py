"""The command centre's figures (`summary`), scoped like `visible_cases`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from jiceng.accounts.models import Unit
from jiceng.accounts.scope import require
from jiceng.cases import deadlines
from jiceng.cases.access import visible_cases
from jiceng.cases.workflow import OPEN_STATES, WATCHED_STATES, Status


def summary(user: Any, now: datetime | None = None) -> dict[str, Any]:
    """The command centre's figures for the cases this user sees (`visible_cases`).

    Open states are counted live from the indexes that start with status (a small share
    of all cases); each closed-type state is one count (see README: no rollup yet).
    Refuses (PermissionDenied) users without the `cases.board` action.
    """
    require(user, "cases.board")
    now = now or timezone.now()
    qs = visible_cases(user).order_by()
    open_states = sorted(OPEN_STATES)
    open_qs = qs.filter(status__in=open_states)
    late = Q(status__in=sorted(WATCHED_STATES), deadline__lt=now)
    by_status = {s: 0 for s in Status.values}
    by_status.update(dict(open_qs.values_list("status").annotate(n=Count("id"))))
    for s in Status.values:
        if s not in OPEN_STATES:
            by_status[s] = qs.filter(status=s).count()
    by_unit = list(
        open_qs.values("unit_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=late))
        .order_by("-n", "unit_id")
    )
    names = dict(
        Unit.objects.filter(pk__in=[r["unit_id"] for r in by_unit if r["unit_id"]]).values_list(
            "pk", "name"
        )
    )
    for r in by_unit:
        r["unit_name"] = names.get(r["unit_id"], "未派单")
    day = now.astimezone(deadlines.tz()).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "at": now,
        "by_status": by_status,
        "open": sum(by_status[s] for s in OPEN_STATES),
        "open_by_tier": dict(open_qs.values_list("tier").annotate(n=Count("id"))),
        "open_by_unit": by_unit,
        "overdue": qs.filter(late).count(),
        "today_new": qs.filter(created_at__gte=day, created_at__lt=now).count(),
        "today_closed": qs.filter(closed_at__gte=day, closed_at__lt=now).count(),
    }
