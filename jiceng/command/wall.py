"""The wall's figures, read from the rollups (never a scan of the cases table).

`summary(user, now)` is what the wall, its JSON and the big screen show. Scope: the
user's region prefix (accounts/scope.py); a superuser sees everything ("").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from jiceng.accounts.models import Unit
from jiceng.accounts.scope import require, scope_code
from jiceng.cases.models import Status, Tier
from jiceng.cases.workflow import OPEN_STATES
from jiceng.command import facts
from jiceng.command.models import (
    AlarmTake,
    DayCount,
    LateCount,
    LiveEvent,
    StatusCount,
    Tally,
)

ACTION = "command.wall"
IN_PROGRESS = sorted(OPEN_STATES - {Status.REPORTED, Status.REGISTERED})
NEW_STATES = [Status.REPORTED, Status.REGISTERED]
TIER_LABELS = dict(Tier.choices)


def wall_prefix(user) -> str:
    """The region prefix of the wall; PermissionDenied without the action or a scope."""
    from django.core.exceptions import PermissionDenied

    require(user, ACTION)
    if user.is_superuser:
        return ""
    code = scope_code(user)
    if code is None:
        raise PermissionDenied("您没有管辖区域，无法查看指挥中心")
    return code


def _tally_in(prefix: str):
    qs = Tally.objects.order_by()
    return qs.filter(region_code__startswith=prefix) if prefix else qs


def summary(user, now: datetime | None = None) -> dict[str, Any]:
    """Counts for the user's scope:

    {"at", "scope", "by_status": {status: n}, "new": n (待受理+待派), "in_progress": n,
     "open": n, "yellow": n, "red" (= "overdue"): n, "today_new": n, "today_closed": n,
     "by_tier": [{"tier", "label", "open", "yellow", "red"}],
     "by_unit": [{"unit_id", "unit_name", "open", "yellow", "red"}] (most open first, 30)}

    yellow: watched (open, not paused) with yellow_at ≤ now < deadline; red: deadline <
    now (the worker's 黄牌/红牌 rule, computed at `now` so the wall never lags the worker).
    """
    prefix = wall_prefix(user)
    now = now or timezone.now()
    rows = list(
        StatusCount.objects.filter(region_code=prefix, n__gt=0).values_list(
            "unit_id", "tier", "status", "n"
        )
    )
    by_status = {s: 0 for s in Status.values}
    tiers: dict[int, dict[str, int]] = {t: {"open": 0, "yellow": 0, "red": 0} for t in Tier.values}
    units: dict[int, dict[str, int]] = {}
    for unit_id, tier, status, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status in OPEN_STATES:
            tiers.setdefault(tier, {"open": 0, "yellow": 0, "red": 0})["open"] += n
            units.setdefault(unit_id, {"open": 0, "yellow": 0, "red": 0})["open"] += n
    yellow = red = 0
    for (unit_id, tier), (y, r) in late_counts(prefix, now).items():
        red += r
        yellow += y
        for d in (
            tiers.setdefault(tier, {"open": 0, "yellow": 0, "red": 0}),
            units.setdefault(unit_id, {"open": 0, "yellow": 0, "red": 0}),
        ):
            d["red"] += r
            d["yellow"] += y
    today = facts.local_day(now)
    day = (
        DayCount.objects.filter(region_code=prefix, day=today)
        .values("kind")
        .annotate(total=Sum("n"))
    )
    per_kind = {r["kind"]: r["total"] or 0 for r in day}
    names = dict(Unit.objects.filter(pk__in=[u for u in units if u]).values_list("pk", "name"))
    ranked = sorted(
        ((u, d) for u, d in units.items() if d["open"] or d["red"] or d["yellow"]),
        key=lambda ud: (-ud[1]["open"], -ud[1]["red"], ud[0]),
    )[:30]
    by_unit = [
        {"unit_id": u, "unit_name": names.get(u, "未派单" if not u else f"单位{u}"), **d}
        for u, d in ranked
    ]
    return {
        "at": now.isoformat(),
        "scope": prefix,
        "by_status": by_status,
        "new": sum(by_status[s] for s in NEW_STATES),
        "in_progress": sum(by_status[s] for s in IN_PROGRESS),
        "open": sum(by_status[s] for s in OPEN_STATES),
        "yellow": yellow,
        "red": red,
        "overdue": red,
        "today_new": per_kind.get(DayCount.CHANNEL, 0),
        "today_closed": per_kind.get(DayCount.CLOSED_TIER, 0),
        "by_tier": [
            {"tier": t, "label": TIER_LABELS.get(t, str(t)), **tiers[t]}
            for t in sorted(tiers, reverse=True)
        ],
        "by_unit": by_unit,
    }


def late_counts(prefix: str, now: datetime) -> dict[tuple[int, int], tuple[int, int]]:
    """(unit, tier) → (yellow, red) at `now` for a scope: watched cases with
    yellow_at ≤ now ≤ deadline (yellow) or deadline < now (red).

    Down to the village (decision 0059): the LateCount rows (before the late mark, a few
    per unit and tier) plus the Tally rows between the mark and `now` (an hour's worth;
    minus, for an instant before the mark) — a cost that does not grow with the number
    of late cases. A grid's wall counts its few Tally rows directly."""
    from jiceng.command.rollup import DAY_PREFIX_MAX, late_mark

    for _ in range(3):
        mark = late_mark()
        if mark is None or len(prefix) > DAY_PREFIX_MAX:
            break
        base = list(
            LateCount.objects.filter(region_code=prefix).values_list("kind", "unit_id", "tier", "n")
        )
        if late_mark() == mark:  # no advance in between (once an hour): consistent
            break
    else:
        mark = None
    if mark is None or len(prefix) > DAY_PREFIX_MAX:
        rows = (
            _tally_in(prefix)
            .filter(yellow_at__lte=now)
            .values_list("unit_id", "tier")
            .annotate(
                red=Count("case_id", filter=Q(deadline__lt=now)),
                yellow=Count("case_id", filter=Q(deadline__gte=now)),
            )
        )
        return {(u, t): (y, r) for u, t, r, y in rows if y or r}
    reached: dict[tuple[int, int], int] = {}  # yellow line ≤ now (red ones included)
    late: dict[tuple[int, int], int] = {}  # deadline < now
    for kind, unit_id, tier, n in base:
        d = late if kind == LateCount.DEADLINE else reached
        d[(unit_id, tier)] = d.get((unit_id, tier), 0) + n
    watched = _tally_in(prefix).filter(yellow_at__isnull=False)
    if now >= mark:
        parts = [
            (late, 1, watched.filter(deadline__gte=mark, deadline__lt=now)),
            (reached, 1, watched.filter(yellow_at__gte=mark, yellow_at__lte=now)),
        ]
    else:  # an instant before the mark: take away what was counted after it
        parts = [
            (late, -1, watched.filter(deadline__gte=now, deadline__lt=mark)),
            (reached, -1, watched.filter(yellow_at__gt=now, yellow_at__lt=mark)),
        ]
    for d, sign, qs in parts:
        for unit_id, tier, n in qs.values_list("unit_id", "tier").annotate(c=Count("case_id")):
            d[(unit_id, tier)] = d.get((unit_id, tier), 0) + sign * n
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for key in reached.keys() | late.keys():
        r = late.get(key, 0)
        y = reached.get(key, 0) - r
        if r or y:
            out[key] = (y, r)
    return out


def pending_alarms(user, limit: int = 20) -> list[dict[str, Any]]:
    """One-key alarms of the scope still open and not taken by anyone, oldest first (they
    stay on top of the wall until someone takes them)."""
    prefix = wall_prefix(user)
    taken = AlarmTake.objects.values("case_id")
    rows = (
        _tally_in(prefix)
        .filter(channel=facts.ALARM, is_open=True)
        .exclude(case_id__in=taken)
        .order_by("created_at")
        .values("case_id", "number", "title", "region_code", "created_at", "status")[:limit]
    )
    return [
        {
            **r,
            "created_at": r["created_at"].isoformat(),
            "status_label": facts.STATUS_LABELS.get(r["status"], r["status"]),
        }
        for r in rows
    ]


def feed(user, limit: int = 30) -> list[dict[str, Any]]:
    """The latest new cases and alarms of the scope, newest first (LiveEvent rows)."""
    prefix = wall_prefix(user)
    qs = LiveEvent.objects.filter(kind__in=[LiveEvent.NEW, LiveEvent.ALARM])
    if prefix:
        qs = qs.filter(region_code__startswith=prefix)
    return [
        {"id": e.pk, "kind": e.kind, "region_code": e.region_code, **e.data}
        for e in qs.order_by("-pk")[:limit]
    ]


def last_event_id() -> int:
    v = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(v or 0)


def take_alarm(user, case_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Take an alarm: it leaves the top of every wall. Http404 outside the scope or not
    an alarm; taking one already taken answers who took it (nothing is overwritten)."""
    from django.core.exceptions import PermissionDenied
    from django.db import IntegrityError, transaction
    from django.http import Http404

    from jiceng.cases import services as case_services
    from jiceng.command import live

    prefix = wall_prefix(user)
    now = now or timezone.now()
    t = _tally_in(prefix).filter(case_id=case_id, channel=facts.ALARM).first()
    if t is None:
        raise Http404("该报警不存在或不在您的管辖范围内")
    # the case itself, as the cases app lets this user see it (Http404 otherwise)
    case = case_services.get_visible(user, t.number)
    try:
        with transaction.atomic():
            take = AlarmTake.objects.create(case_id=case_id, by=user, at=now)
            # who took it and when, on the case's history, through the move engine
            case_services.transition(case, "take_alarm", user=user, reason="指挥中心接警", now=now)
            ev = LiveEvent.objects.create(
                at=now,
                kind=LiveEvent.TAKEN,
                region_code=t.region_code,
                data={"case_id": case_id, "number": t.number, "by": user.display_name},
            )
            live.publish_in_transaction([ev.pk])
    except case_services.MoveRefused as exc:
        raise PermissionDenied(str(exc)) from None
    except IntegrityError:
        take = AlarmTake.objects.select_related("by").get(case_id=case_id)
        return {"taken": False, "by": take.by.display_name, "at": take.at.isoformat()}
    return {"taken": True, "by": user.display_name, "at": take.at.isoformat()}
