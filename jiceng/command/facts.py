"""Every read of case fields by the command centre, in one module.

The cases app is being restructured (Case.level → tier, closed_level → closed_tier): only
this module names case columns, so the merge adapts one file. Reads only; the cases app
owns its tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, TypedDict

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce, Least, Substr, TruncDate

from jiceng.cases import deadlines
from jiceng.cases.models import Case, CaseEvent, Channel, Status
from jiceng.cases.workflow import OPEN_STATES, WATCHED_STATES

CLOSED_STATES = frozenset({Status.CLOSED, Status.ARCHIVED})
ALARM = Channel.ALARM.value
CHANNEL_LABELS = dict(Channel.choices)
STATUS_LABELS = dict(Status.choices)

_COLS = (
    "id",
    "number",
    "title",
    "region_code",
    "unit_id",
    "tier",
    "status",
    "channel",
    "category_id",
    "urgency",
    "created_at",
    "closed_at",
    "closed_tier",
    "deadline",
    "yellow_at",
)


class CaseFacts(TypedDict):
    """What the rollups count of one case (all plain values)."""

    case_id: int
    number: str
    title: str
    region_code: str
    unit_id: int
    tier: int
    status: str
    channel: str
    category_id: int
    urgency: int
    created_at: datetime
    created_day: date
    closed_day: date | None
    closed_tier: int | None
    is_open: bool
    watched: bool
    deadline: datetime | None
    yellow_at: datetime | None  # set only while watched (open, not paused)


def local_day(at: datetime) -> date:
    """The day in the installation's time zone (Asia/Shanghai)."""
    return at.astimezone(deadlines.tz()).date()


def _facts(r: dict[str, Any]) -> CaseFacts:
    closed = r["status"] in CLOSED_STATES and r["closed_at"] is not None
    return CaseFacts(
        case_id=r["id"],
        number=r["number"],
        title=r["title"][:120],
        region_code=r["region_code"] or "",
        unit_id=r["unit_id"] or 0,
        tier=r["tier"],
        status=r["status"],
        channel=r["channel"],
        category_id=r["category_id"] or 0,
        urgency=r["urgency"],
        created_at=r["created_at"],
        created_day=local_day(r["created_at"]),
        closed_day=local_day(r["closed_at"]) if closed else None,
        closed_tier=(r["closed_tier"] or r["tier"]) if closed else None,
        is_open=r["status"] in OPEN_STATES,
        watched=r["status"] in WATCHED_STATES,
        deadline=r["deadline"],
        # only while the clock is watched and there is a deadline, never after the
        # deadline: the wall's late figures are then buckets and one index range
        yellow_at=_yellow_line(r),
    )


def _yellow_line(r: dict[str, Any]) -> datetime | None:
    deadline = r["deadline"]
    if r["status"] not in WATCHED_STATES or deadline is None:
        return None
    return min(r["yellow_at"] or deadline, deadline)


def tally_select() -> tuple[list[str], str, tuple]:
    """Every case's facts as one SELECT, by the rules of `_facts` (the rebuild's
    `INSERT INTO tally … SELECT`, so the cases never pass through Python). Returns
    (Tally columns, sql, params), the SELECT's columns in that order."""
    tz = deadlines.tz()
    watched = Q(status__in=sorted(WATCHED_STATES), deadline__isnull=False)
    closed = Q(status__in=sorted(CLOSED_STATES), closed_at__isnull=False)
    is_in = [(Q(status__in=sorted(OPEN_STATES))), Q(status__in=sorted(WATCHED_STATES))]
    exprs: dict[str, Any] = {
        "case_id": F("id"),
        "number": F("number"),
        "title": Substr("title", 1, 120),
        "region_code": Coalesce("region_code", Value(""), output_field=CharField()),
        "unit_id": Coalesce("unit_id", Value(0), output_field=IntegerField()),
        "tier": F("tier"),
        "status": F("status"),
        "channel": F("channel"),
        "category_id": Coalesce("category_id", Value(0), output_field=IntegerField()),
        "urgency": F("urgency"),
        "created_at": F("created_at"),
        "created_day": TruncDate("created_at", tzinfo=tz),
        "closed_day": DbCase(
            When(closed, then=TruncDate("closed_at", tzinfo=tz)),
            default=None,
            output_field=DateField(),
        ),
        "closed_tier": DbCase(
            When(closed, then=Coalesce("closed_tier", "tier")),
            default=None,
            output_field=IntegerField(),
        ),
        "is_open": DbCase(
            When(is_in[0], then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "watched": DbCase(
            When(is_in[1], then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "deadline": F("deadline"),
        "yellow_at": DbCase(
            When(watched, then=Least(Coalesce("yellow_at", "deadline"), "deadline")),
            default=None,
            output_field=DateTimeField(),
        ),
    }
    names = list(exprs)
    qs = (
        Case.objects.order_by()
        .annotate(**{f"t_{k}": v for k, v in exprs.items()})
        .values_list(*[f"t_{k}" for k in names])
    )
    sql, params = qs.query.sql_with_params()
    return names, sql, tuple(params)


def case_facts(ids: Iterable[int]) -> dict[int, CaseFacts]:
    """The current facts of these cases (missing ids: deleted cases)."""
    ids = list(ids)
    return {r["id"]: _facts(r) for r in Case.objects.filter(pk__in=ids).values(*_COLS)}


def facts_of(case: Case) -> CaseFacts:
    """The facts of a case instance just written (its columns as saved), without reading
    it back: intake's announcement carries the case it inserted."""
    return _facts({c: getattr(case, c) for c in _COLS})


def all_case_facts(batch: int = 5000) -> Iterator[list[CaseFacts]]:
    """Every case, in batches by id (for the rebuild)."""
    last = 0
    while True:
        rows = list(Case.objects.filter(pk__gt=last).order_by("pk").values(*_COLS)[:batch])
        if not rows:
            return
        last = rows[-1]["id"]
        yield [_facts(r) for r in rows]


def last_event_id() -> int:
    e = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return int(e or 0)


# Moves that never change what the rollups count (a card, a reminder, the supervising
# tier): the catch-up reads past them without applying their cases (decision 0080).
UNCOUNTED_MOVES = frozenset({"remind", "supervise"})


def cases_with_events_after(event_id: int, limit: int = 5000) -> tuple[list[int], int]:
    """Case ids that have history after `event_id` (any counted move, also the worker's
    escalations), and the highest event id read (past the uncounted moves too)."""
    rows = list(
        CaseEvent.objects.filter(pk__gt=event_id)
        .order_by("pk")
        .values_list("pk", "case_id", "move")[:limit]
    )
    if not rows:
        return [], event_id
    return sorted({c for _, c, m in rows if m not in UNCOUNTED_MOVES}), rows[-1][0]


def full_counts(prefix: str, now: datetime) -> dict[str, Any]:
    """The wall's figures counted from the cases table directly (tests, reconcile check).
    Same definitions as the rollups: see wall.summary."""
    qs = Case.objects.order_by()
    if prefix:
        qs = qs.filter(region_code__under=prefix)
    by_status = dict(qs.values_list("status").annotate(n=Count("id")))
    day = local_day(now)
    start = datetime.combine(day, datetime.min.time(), tzinfo=deadlines.tz())
    watched = qs.filter(status__in=sorted(WATCHED_STATES))
    return {
        "by_status": {s: by_status.get(s, 0) for s in Status.values},
        "open_by_tier": dict(
            qs.filter(status__in=sorted(OPEN_STATES)).values_list("tier").annotate(n=Count("id"))
        ),
        "red": watched.filter(deadline__lt=now).count(),
        "yellow": watched.filter(yellow_at__lte=now, deadline__gte=now).count(),
        "today_new": qs.filter(created_at__gte=start).count(),
        "today_closed": qs.filter(
            status__in=sorted(CLOSED_STATES), closed_at__gte=start, closed_at__isnull=False
        ).count(),
        "closed_by_tier": dict(
            qs.filter(status__in=sorted(CLOSED_STATES), closed_at__isnull=False)
            .annotate(t=Coalesce("closed_tier", "tier"))
            .values_list("t")
            .annotate(n=Count("id"))
        ),
    }


def open_cases_in(code: str, limit: int = 50) -> list[dict[str, Any]]:
    """Open cases of a region subtree, latest deadline pressure first (map click)."""
    rows = (
        Case.objects.filter(region_code__under=code, status__in=sorted(OPEN_STATES))
        .order_by("deadline")
        .values("number", "title", "status", "deadline", "channel", "urgency")[:limit]
    )
    return [
        {
            **r,
            "status_label": STATUS_LABELS.get(r["status"], r["status"]),
            "deadline": r["deadline"].isoformat() if r["deadline"] else None,
        }
        for r in rows
    ]


def category_names(ids: Iterable[int]) -> dict[int, str]:
    """Category id → its name (the path's last segments are in `name`)."""
    from jiceng.cases.models import Category

    return dict(Category.objects.filter(pk__in=list(ids)).values_list("pk", "name"))
