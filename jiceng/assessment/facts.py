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


VISIT_SURE = timedelta(days=60)  # longer than 3 working days across any holiday


def visit_limit(c: dict[str, Any]) -> datetime:
    """When the return visit of a closed case falls due: the case's own `visit_due_at`,
    or — once the worker has issued the visit task and cleared it — 3 working days after
    closure again (cases.deadlines.visit_due)."""
    if c["visit_due_at"] is not None:
        return c["visit_due_at"]
    return deadlines.visit_due(c["closed_at"])


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
        # a satisfaction recorded means the visit happened; a limit long past needs no calendar
        if c["rated_at"] is None and not sat:
            old = c["visit_due_at"] is None and now - c["closed_at"] >= VISIT_SURE
            out["missed_visit"] = int(old or visit_limit(c) < now)
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


def clock_case_ids(since: datetime, now: datetime) -> list[int]:
    """Cases whose facts the clock alone changed in (since, now]: an open case not paused
    whose deadline passed (due, overdue), a closed case not rated whose return-visit
    limit passed (missed_visit). Both read an index (status+deadline, closed_at)."""
    from jiceng.cases.workflow import WATCHED_STATES

    late = Case.objects.filter(status__in=WATCHED_STATES, deadline__gt=since, deadline__lte=now)
    # the visit limit is monotone in the closing time: closed in [lo, hi) ⇔ limit in [since, now)
    lo, hi = _closed_for_limit(since), _closed_for_limit(now)
    visits = Case.objects.filter(
        closed_at__gte=lo, closed_at__lt=hi, status__in=CLOSED, rated_at__isnull=True
    )
    ids = set(late.values_list("pk", flat=True)) | set(visits.values_list("pk", flat=True))
    return sorted(ids)


def _closed_for_limit(at: datetime) -> datetime:
    """The earliest closing time whose return-visit limit is at or after `at` (bisection
    on `deadlines.visit_due`, to the microsecond: ~45 calendar look-ups)."""
    lo, hi = at - VISIT_SURE, at  # visit_due(lo) < at <= visit_due(hi)
    while hi - lo > timedelta(microseconds=1):
        mid = lo + (hi - lo) / 2
        if deadlines.visit_due(mid) >= at:
            hi = mid
        else:
            lo = mid
    return hi


def refresh_clock(now: datetime | None = None) -> int:
    """Recompute the facts the clock changed since the last call (ClockPass.upto; at the
    first call, since the oldest fact was computed). Returns the number of cases."""
    from django.db.models import Min

    from jiceng.assessment.models import ClockPass

    now = now or timezone.now()
    mark = ClockPass.objects.order_by("pk").first()
    since = mark.upto if mark is not None else CaseFact.objects.aggregate(t=Min("computed_at"))["t"]
    if since is None or since >= now:
        since = now  # no facts yet (they are computed with `now` when built), or time went back
    ids = clock_case_ids(since, now) if since < now else []
    for i in range(0, len(ids), 5000):
        refresh(ids[i : i + 5000], now)
    if mark is None:
        ClockPass.objects.create(upto=now)
    elif now > mark.upto:
        ClockPass.objects.filter(pk=mark.pk).update(upto=now)
    return len(ids)


def on_worker_pass(sender: object = None, *, now: datetime, **_kw: object) -> dict[str, int]:
    """`jiceng worker`'s pass (cases.worker.worker_pass): the facts the clock changed, the
    facts of the cases that moved, then the rollups of the days they touch — so a ranking
    read later finds them current and rebuilds nothing."""
    from jiceng.assessment import rollup

    clock = refresh_clock(now)
    moved = refresh_moved(now)
    return {"clock_facts": clock, "moved_facts": moved, "rollup_rows": rollup.refresh_dirty()}


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


def on_case_written(sender, case, **kw) -> None:
    """case_written receiver (inside the move's or intake's transaction, once per write):
    one insert that commits with the case — no commit of its own on the request's path
    (decision 0102); the facts are recomputed before the next ranking, working page or
    scorecard is read (`refresh_moved`). The worker's bulk writes are marked whole by
    `on_cases_changed`."""
    DirtyCase.objects.create(case_id=case.pk)


def on_cases_changed(sender, case_ids=(), placed=None, **kw) -> None:
    """cases_changed receiver (a worker batch): the marks in one insert. With `placed`
    (the worker's cards) only the cases whose unit moved are marked: a card changes no
    fact (`_CASE_FIELDS`), and the deadline that passed is the clock's (`refresh_clock`)."""
    ids = case_ids if placed is None else sorted(placed)
    DirtyCase.objects.bulk_create([DirtyCase(case_id=i) for i in ids], batch_size=1000)


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
    in the benchmark); the rollups are rebuilt by `rollup.rebuild_all()` afterwards.
    PostgreSQL: set-based (`_backfill_sql`)."""
    now = now or timezone.now()
    from django.db import connection

    if connection.vendor == "postgresql":
        return _backfill_sql(now, chunk)
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


def _cal_rows() -> list[tuple[date, float, bool, bool, int]]:
    """(day, working minutes before it, working day, year known, unknown days before it)
    for every day of the calendar's years: W(t) = minutes before t's day + the minutes of
    its periods before t, so working minutes between a and b are W(b) − W(a)."""
    cal = deadlines.calendar()
    if not cal.known_years:
        return []
    d, end = date(min(cal.known_years), 1, 1), date(max(cal.known_years) + 1, 1, 1)
    out, cum, unknown = [], 0.0, 0
    while d < end:
        known = d.year in cal.known_years
        work = known and cal.is_workday(d)
        out.append((d, cum, work, known, unknown))
        cum += cal.day_minutes if work else 0
        unknown += 0 if known else 1
        d += timedelta(days=1)
    return out


def _backfill_sql(now: datetime, chunk: int) -> int:
    """`backfill` as one INSERT … SELECT over the cases (counts_of's rules in SQL, working
    hours from a day table of the calendar). Cases the SQL cannot finish — exclusion marks,
    report-in calls, dispatch ratings, a return-visit limit within the last 60 days — are
    then recomputed by `case_facts`, the Python rules themselves."""
    from django.db import connection

    from jiceng.cases.models import Whistle

    fact_t, case_t = CaseFact._meta.db_table, Case._meta.db_table
    cal = deadlines.calendar()
    tzname = str(deadlines.tz())

    def q(values) -> str:
        return ", ".join(f"'{v}'" for v in sorted(values))

    def w(alias: str, col: str) -> str:
        """W(t): working minutes up to the local time of `col` (the day row `alias`)."""
        lt = f"(x.{col} AT TIME ZONE %(tz)s)"
        m = f"(EXTRACT(EPOCH FROM {lt} - DATE_TRUNC('day', {lt})) / 60.0)"
        parts = " + ".join(
            f"GREATEST(0, LEAST({m}, {b.hour * 60 + b.minute}) - {a.hour * 60 + a.minute})"
            for a, b in cal.periods
        )
        return f"({alias}.cum + CASE WHEN {alias}.work THEN {parts} ELSE 0 END)"

    hours = (
        f"CASE WHEN NOT x.cl THEN NULL WHEN x.closed_at <= x.created_at THEN 0.0 "
        f"WHEN cs.known AND ce.known AND cs.unknown_before = ce.unknown_before THEN "
        f"ROUND(CAST(({w('ce', 'closed_at')} - {w('cs', 'created_at')}) / 60.0 AS numeric), 4)"
        f"::float8 END"
    )
    counts = {
        "received": "1",
        "dispatched": "(x.dispatched_at IS NOT NULL)::int",
        "responded": "COALESCE((x.first_response_at - x.created_at <= CASE WHEN x.urgency = 3 "
        f"THEN INTERVAL '{CRITICAL_RESPONSE_HOURS} hours' ELSE INTERVAL '{RESPONSE_HOURS} "
        "hours' END)::int, 0)",
        "rated": "(x.sat <> '')::int",
        "satisfied": "(x.sat = 'satisfied')::int",
        "basic": "(x.sat = 'basic')::int",
        "unsatisfied": "(x.sat = 'unsatisfied')::int",
        "resolve_rated": "(x.resolved IS NOT NULL)::int",
        "resolved": "COALESCE(x.resolved, false)::int",
        "closed": "x.cl::int",
        "due": "(x.cl OR x.past OR x.pz)::int",
        "paused": "(x.pz AND NOT x.cl)::int",
        "on_time": "(x.cl AND x.closed_on_time IS DISTINCT FROM false)::int",
        "reworked": "(x.rework_count > 0 OR x.reopen_count > 0)::int",
        "extended": "(COALESCE(x.paused_days, 0) > 0)::int",
        "in_time": "(x.hd IS NOT NULL AND (x.deadline IS NULL OR x.hd <= x.deadline))::int",
        "returned": "(x.return_count > 0)::int",
        "overdue": "((x.cl AND x.closed_on_time IS NOT DISTINCT FROM false) "
        "OR (NOT x.cl AND x.past AND NOT x.pz))::int",
        **{f"closed_t{k}": f"(x.cl AND x.closed_tier = {k})::int" for k in (1, 2, 3, 4)},
        "hours_sum": f"COALESCE({hours}, 0)",
        "hours_n": f"({hours} IS NOT NULL)::int",
        # -1: the limit is within 60 days, Python decides (the calendar's visit_due)
        "missed_visit": "CASE WHEN NOT x.cl OR x.rated_at IS NOT NULL OR x.sat <> '' THEN 0 "
        "WHEN x.visit_due_at IS NOT NULL THEN (x.visit_due_at < %(now)s)::int "
        "WHEN %(now)s - x.closed_at >= INTERVAL '60 days' THEN 1 ELSE -1 END",
    }
    rest = [n for n in COUNT_NAMES if n not in counts]  # calls, ratings: from Python
    cols = [*counts, *rest]
    exprs = [*counts.values(), *("0" for _ in rest)]
    rc = "COALESCE(x.region_code, '')"
    sql = f"""
        INSERT INTO {fact_t} (case_id, number, day, region_code, street_code, village_code,
            unit_id, reason, extra_units, computed_at, {", ".join(cols)})
        SELECT x.id, x.number, (x.created_at AT TIME ZONE %(tz)s)::date, {rc},
            CASE WHEN LENGTH({rc}) >= {STREET_LEN} THEN SUBSTR({rc}, 1, {STREET_LEN}) ELSE '' END,
            CASE WHEN LENGTH({rc}) >= {VILLAGE_LEN} THEN SUBSTR({rc}, 1, {VILLAGE_LEN}) ELSE '' END,
            x.unit_id, '', '[]'::jsonb, %(now)s, {", ".join(exprs)}
        FROM (SELECT c.*, (c.status IN ({q(CLOSED)}) AND c.closed_at IS NOT NULL) AS cl,
                     (c.deadline IS NOT NULL AND c.deadline <= %(now)s) AS past,
                     (c.status IN ({q(PAUSED)})) AS pz, COALESCE(c.satisfaction, '') AS sat,
                     COALESCE(c.handled_at, CASE WHEN c.closed_on_spot THEN c.closed_at END) AS hd
              FROM {case_t} c WHERE c.status NOT IN ({q(NOT_COUNTED)})) x
        LEFT JOIN jc_cal cs ON cs.d = (x.created_at AT TIME ZONE %(tz)s)::date
        LEFT JOIN jc_cal ce ON ce.d = (x.closed_at AT TIME ZONE %(tz)s)::date
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {fact_t}")
        cur.execute(
            "CREATE TEMP TABLE jc_cal (d date PRIMARY KEY, cum double precision, "
            "work boolean, known boolean, unknown_before int) ON COMMIT DROP"
        )
        with cur.copy("COPY jc_cal FROM STDIN") as copy:
            for row in _cal_rows():
                copy.write_row(row)
        cur.execute(sql, {"tz": tzname, "now": now})
        n = cur.rowcount
        cur.execute(f"SELECT case_id FROM {fact_t} WHERE missed_visit = -1")
        special = {r[0] for r in cur.fetchall()}
    special |= set(Whistle.objects.filter(calls__isnull=False).values_list("case_id", flat=True))
    numbers = set(ExclusionMark.objects.values_list("number", flat=True))
    numbers |= set(DispatchRating.objects.values_list("number", flat=True))
    special |= set(ids_for_numbers(numbers))
    ids = sorted(special)
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        rows = case_facts(part, now)
        with transaction.atomic():
            CaseFact.objects.filter(case_id__in=part).delete()
            CaseFact.objects.bulk_create([CaseFact(**f) for f in rows], batch_size=2000)
    return n
