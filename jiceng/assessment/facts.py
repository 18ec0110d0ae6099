"""The facts of a case, read from the case loop — the ONE module of this app that reads
`Case`, `CaseEvent` and `WhistleCall` fields (renames in jiceng.cases are adapted here).

`case_facts(ids, now)` turns cases into rows of named counts (models.COUNTS), each 0/1
except the working hours and rating sums; `refresh(ids, now)` stores them in `CaseFact`
and marks the days whose rollups must be rebuilt.

Rules (source in brackets):
- a case counts on the local date it was taken in (受理日), in the grid/region it fell in,
  for the unit that leads it now (主办); cancelled, merged and split cases do not count;
- responded: first response (签收/处置/报到/就地办结) within 24 h of intake, 2 h for 特急
  (北京接诉即办: 响应 = 接单后及时联系诉求人);
- due (应结案数): closed, or its deadline has passed at `now`, or it is paused (缓办);
  paused (缓办数): in 缓办 now; on_time (按期结案数): closed within the deadline
  (CJ/T 292 按期结案率 = 按期结案数 / (应结案数 − 缓办数));
- reworked: sent back (退回重办) or reopened after closure (重新办理), even once;
- extended (延期): its deadline was moved by an approved 缓办;
- in_time (及时处置): handled (反馈) or closed on the spot by the deadline;
- handling time: working minutes (jiceng.lib.workdays via cases.deadlines.calendar) from
  intake to closure, for closed cases in a year the calendar knows;
- report-in calls count for the summoned department; dispatch ratings (assessment's own
  DispatchRating) for the case's street, from the rating department.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiceng.assessment.models import (
    COUNT_NAMES,
    CaseFact,
    DirtyCase,
    DirtyDay,
    DispatchRating,
    ExclusionMark,
)
from jiceng.cases import deadlines
from jiceng.cases.models import Case, Status, WhistleCall
from jiceng.lib.workdays import CalendarUnknown

RESPONSE_HOURS = 24
CRITICAL_RESPONSE_HOURS = 2
NOT_COUNTED = frozenset({Status.CANCELLED, Status.MERGED, Status.SPLIT})
CLOSED = frozenset({Status.CLOSED, Status.ARCHIVED})
PAUSED = frozenset({Status.PAUSED})
STREET_LEN, VILLAGE_LEN = 9, 12

_CASE_FIELDS = [
    "id",
    "number",
    "status",
    "urgency",
    "region_code",
    "unit_id",
    "created_at",
    "dispatched_at",
    "first_response_at",
    "handled_at",
    "closed_at",
    "closed_tier",
    "closed_on_spot",
    "closed_on_time",
    "deadline",
    "reopen_count",
    "rework_count",
    "return_count",
    "paused_days",
    "satisfaction",
    "resolved",
    "rated_at",
    "visit_due_at",
]


def local_day(at: datetime) -> date:
    return timezone.localtime(at, deadlines.tz()).date()


def current_reasons(numbers: Iterable[str]) -> dict[str, str]:
    """number → the exclusion reason in force (the earliest mark not taken back)."""
    state: dict[str, list[str]] = {}
    for number, reason, removed in ExclusionMark.objects.filter(
        number__in=list(numbers)
    ).values_list("number", "reason", "removed"):
        held = state.setdefault(number, [])
        if removed:
            if reason in held:
                held.remove(reason)
        elif reason not in held:
            held.append(reason)
    return {n: r[0] for n, r in state.items() if r}


def work_hours(start: datetime, end: datetime) -> float | None:
    """Working hours between two aware datetimes; None when the calendar lacks the year."""
    tz = deadlines.tz()
    a = timezone.localtime(start, tz).replace(tzinfo=None)
    b = timezone.localtime(end, tz).replace(tzinfo=None)
    try:
        return deadlines.calendar().work_minutes_between(a, b) / 60.0
    except CalendarUnknown:
        return None


def counts_of(c: dict[str, Any], now: datetime) -> dict[str, float]:
    """The named counts of one case row (dict of _CASE_FIELDS). Pure but for the calendar."""
    out: dict[str, float] = dict.fromkeys(COUNT_NAMES, 0)
    status = c["status"]
    closed = status in CLOSED and c["closed_at"] is not None
    deadline = c["deadline"]
    out["received"] = 1
    out["dispatched"] = int(c["dispatched_at"] is not None)
    if c["first_response_at"] is not None:
        limit = CRITICAL_RESPONSE_HOURS if c["urgency"] == 3 else RESPONSE_HOURS
        out["responded"] = int(c["first_response_at"] - c["created_at"] <= timedelta(hours=limit))
    sat = c["satisfaction"] or ""
    if sat:
        out["rated"] = 1
        out["satisfied"] = int(sat == "satisfied")
        out["basic"] = int(sat == "basic")
        out["unsatisfied"] = int(sat == "unsatisfied")
    if c["resolved"] is not None:
        out["resolve_rated"] = 1
        out["resolved"] = int(bool(c["resolved"]))
    paused = status in PAUSED
    past_deadline = deadline is not None and deadline <= now
    out["closed"] = int(closed)
    out["due"] = int(closed or past_deadline or paused)
    out["paused"] = int(paused and not closed)
    out["on_time"] = int(closed and c["closed_on_time"] is not False)
    out["reworked"] = int(c["rework_count"] > 0 or c["reopen_count"] > 0)
    out["extended"] = int((c["paused_days"] or 0) > 0)
    handled = c["handled_at"] or (c["closed_at"] if c["closed_on_spot"] else None)
    out["in_time"] = int(handled is not None and (deadline is None or handled <= deadline))
    out["returned"] = int(c["return_count"] > 0)
    out["overdue"] = int(
        (closed and c["closed_on_time"] is False) or (not closed and past_deadline and not paused)
    )
    if closed:
        tier = c["closed_tier"]
        if tier in (1, 2, 3, 4):
            out[f"closed_t{tier}"] = 1
        hours = work_hours(c["created_at"], c["closed_at"])
        if hours is not None:
            out["hours_sum"] = round(hours, 4)
            out["hours_n"] = 1
        visit_due = c["visit_due_at"]
        out["missed_visit"] = int(
            c["rated_at"] is None and visit_due is not None and visit_due < now
        )
    return out


def case_facts(ids: Iterable[int], now: datetime | None = None) -> list[dict[str, Any]]:
    """Fact rows (CaseFact field dicts) for the given case ids; cases that do not count
    are left out. Reads: Case (one query), WhistleCall, ExclusionMark, DispatchRating."""
    now = now or timezone.now()
    rows = list(Case.objects.filter(pk__in=list(ids)).values(*_CASE_FIELDS))
    rows = [r for r in rows if r["status"] not in NOT_COUNTED]
    if not rows:
        return []
    by_id = {r["id"]: r for r in rows}
    numbers = [r["number"] for r in rows]
    reasons = current_reasons(numbers)
    extra: dict[int, list[list[Any]]] = {}
    for case_id, unit_id, reported_at, on_time, rating in WhistleCall.objects.filter(
        whistle__case_id__in=list(by_id)
    ).values_list("whistle__case_id", "unit_id", "reported_at", "on_time", "rating"):
        extra.setdefault(case_id, []).append(
            [
                unit_id,
                {
                    "calls": 1,
                    "calls_on_time": int(reported_at is not None and bool(on_time)),
                    "calls_rating_sum": rating or 0,
                    "calls_rated": int(rating is not None),
                },
            ]
        )
    latest: dict[tuple[str, int], int] = {}
    for number, unit_id, rating in DispatchRating.objects.filter(number__in=numbers).values_list(
        "number", "unit_id", "rating"
    ):
        latest[(number, unit_id)] = rating  # ordered by time: the latest wins
    id_of = {r["number"]: r["id"] for r in rows}
    for (number, unit_id), rating in latest.items():
        extra.setdefault(id_of[number], []).append(
            [unit_id, {"dispatch_rating_sum": rating, "dispatch_rated": 1}]
        )
    out = []
    for r in rows:
        code = r["region_code"] or ""
        out.append(
            {
                "case_id": r["id"],
                "number": r["number"],
                "day": local_day(r["created_at"]),
                "region_code": code,
                "street_code": code[:STREET_LEN] if len(code) >= STREET_LEN else "",
                "village_code": code[:VILLAGE_LEN] if len(code) >= VILLAGE_LEN else "",
                "unit_id": r["unit_id"],
                "reason": reasons.get(r["number"], ""),
                "extra_units": extra.get(r["id"], []),
                "computed_at": now,
                **counts_of(r, now),
            }
        )
    return out


def refresh(ids: Iterable[int], now: datetime | None = None) -> int:
    """Recompute and store the facts of these cases; mark old and new days dirty.
    Returns the number of facts stored."""
    ids = list(ids)
    if not ids:
        return 0
    facts = case_facts(ids, now)
    with transaction.atomic():
        old_days = set(CaseFact.objects.filter(case_id__in=ids).values_list("day", flat=True))
        CaseFact.objects.filter(case_id__in=ids).delete()
        CaseFact.objects.bulk_create([CaseFact(**f) for f in facts], batch_size=2000)
        days = old_days | {f["day"] for f in facts}
        existing = set(DirtyDay.objects.filter(day__in=days).values_list("day", flat=True))
        DirtyDay.objects.bulk_create(
            [DirtyDay(day=d) for d in days - existing], ignore_conflicts=True
        )
    return len(facts)


def ids_for_numbers(numbers: Iterable[str]) -> list[int]:
    return list(Case.objects.filter(number__in=list(numbers)).values_list("pk", flat=True))


def case_exists(number: str) -> bool:
    return Case.objects.filter(number=number).exists()


def ids_created_between(start: date, end: date, county: str = "") -> Iterable[int]:
    """Ids of cases taken in on local dates start..end (inclusive), in chunks' order."""
    tz = deadlines.tz()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    qs = Case.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if county:
        qs = qs.filter(region_code__under=county)
    return qs.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)


def open_case_ids() -> Iterable[int]:
    """Cases whose facts can change with the clock alone (open, or a visit still due)."""
    from django.db.models import Q

    from jiceng.cases.workflow import OPEN_STATES

    return (
        Case.objects.filter(Q(status__in=OPEN_STATES) | Q(visit_due_at__isnull=False))
        .values_list("pk", flat=True)
        .iterator(chunk_size=5000)
    )


def case_briefs(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """For the working pages: number, title, status label, created, closed per case id."""
    out: dict[int, dict[str, Any]] = {}
    for r in Case.objects.filter(pk__in=list(ids)).values(
        "id", "number", "title", "status", "created_at", "closed_at", "deadline"
    ):
        row: dict[str, Any] = dict(r)
        row["status_label"] = Status(r["status"]).label if r["status"] in Status.values else ""
        out[r["id"]] = row
    return out


def on_case_changed(sender, case, events=(), **kw) -> None:
    """case_changed receiver (once per case write, whatever its number of `events`): one
    insert on the move's path; the facts are recomputed
    before the next ranking, working page or scorecard is read (`refresh_moved`)."""
    if kw.get("batch"):
        return  # a worker batch: marked whole by `on_cases_changed`
    DirtyCase.objects.create(case_id=case.pk)


def on_cases_changed(sender, case_ids=(), **kw) -> None:
    """cases_changed receiver (a worker batch): the marks in one insert."""
    DirtyCase.objects.bulk_create([DirtyCase(case_id=i) for i in case_ids], batch_size=1000)


def refresh_moved(now: datetime | None = None) -> int:
    """Recompute the facts of the cases that moved; delete exactly the marks read."""
    marks = list(DirtyCase.objects.values_list("pk", "case_id")[:50000])
    if not marks:
        return 0
    ids = sorted({c for _, c in marks})
    n = 0
    for i in range(0, len(ids), 5000):
        n += refresh(ids[i : i + 5000], now)
    DirtyCase.objects.filter(pk__in=[p for p, _ in marks]).delete()
    return n


def backfill(now: datetime | None = None, chunk: int = 5000) -> int:
    """Facts for every case from scratch (an empty CaseFact table, e.g. after install or
    in the benchmark); the rollups are rebuilt by `rollup.rebuild_all()` afterwards."""
    now = now or timezone.now()
    CaseFact.objects.all().delete()
    ids = Case.objects.order_by("pk").values_list("pk", flat=True)
    n = 0
    batch: list[int] = []
    for pk in ids.iterator(chunk_size=chunk):
        batch.append(pk)
        if len(batch) >= chunk:
            n += _insert(batch, now)
            batch = []
    return n + _insert(batch, now)


def _insert(ids: list[int], now: datetime) -> int:
    rows = case_facts(ids, now)
    CaseFact.objects.bulk_create([CaseFact(**f) for f in rows], batch_size=2000)
    return len(rows)
