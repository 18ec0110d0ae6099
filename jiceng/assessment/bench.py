"""Bench section `assessment`: a monthly ranking of every street, village, department and
grid worker of the 1 M-case county, with the previous month joined, read from the rollups.
Target: ≤ 1 s (issue 13).

Figures (each with the wall time, the process's CPU time and, on a local PostgreSQL, the
database backend's CPU time — wall times on a shared machine are pessimistic):

- `ranking` (judged): `rankings.ranked_tuples` for every kind of unit — the ranking by
  三率: its three parts and the composite valued, the composite ranked, for the month and
  the previous month, the previous values and ranks joined; every unit's row comes back
  (tuples). `four_ranks`: the same with each part ranked too (what the API and the exports
  ask for).
- `page`: the grid-worker ranking page's work for the district user (`ranking_page`:
  ranked by 三率 only, scope, sort, 200 rows made into dicts) and the same with a search.
- `compute_all`: every row of every kind as dicts, all ranks (what publishing uses).
- `after_move`: one case of the month moved: the facts, day, month and pre-summed rows
  rebuilt (`rollup.refresh_dirty`), which the next ranking read does first.

The facts of every case and the rollups are built once (timed and reported, not judged:
in production they follow the moves one case at a time) and reused while the number of
facts equals the number of cases.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from jiceng.bench.params import ANCHOR, COUNTY_CODE
from jiceng.bench.sections import Context, target, timed
from jiceng.bench.util import percentiles


def _process_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _backend_cpu_reader() -> Callable[[], float | None]:
    """CPU seconds of this connection's PostgreSQL backend (/proc, when the server runs on
    this machine and is readable), else a reader that gives None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    path, tick = f"/proc/{pid}/stat", os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            with open(path) as f:
                st = f.read().rsplit(")", 1)[1].split()
            return (int(st[11]) + int(st[12])) / tick
        except (OSError, IndexError, ValueError):
            return None

    return read


def _measure(fn: Callable[[], Any], reps: int) -> dict[str, Any]:
    """percentiles of the wall time, and the mean CPU time a run (process, backend)."""
    backend = _backend_cpu_reader()
    fn()  # warm
    c0, b0 = _process_cpu(), backend()
    samples = timed(fn, reps, warm=0)
    c1, b1 = _process_cpu(), backend()
    out: dict[str, Any] = percentiles(samples)
    out["cpu_ms_process"] = round((c1 - c0) * 1000 / reps, 1)
    out["cpu_ms_db_backend"] = (
        round((b1 - b0) * 1000 / reps, 1) if b0 is not None and b1 is not None else None
    )
    out["load_1min"] = round(os.getloadavg()[0], 2)
    return out


def section(ctx: Context) -> dict[str, Any]:
    ctx.need_part("cases")
    from jiceng.accounts.models import User
    from jiceng.assessment import facts, rankings, rollup
    from jiceng.assessment.metrics import ensure_defaults
    from jiceng.assessment.models import CaseFact, DailyRollup, DirtyCase, UnitMonth
    from jiceng.assessment.periods import month_of
    from jiceng.cases.models import Case

    ensure_defaults()
    cases = Case.objects.count()
    counted = Case.objects.exclude(status__in=facts.NOT_COUNTED).count()
    build: dict[str, Any] = {"reused": True, "facts": counted}
    if (
        CaseFact.objects.count() != counted
        or not DailyRollup.objects.exists()
        or not UnitMonth.objects.exists()
    ):
        ctx.say("  考核：计算全部诉求的事实与汇总 …")
        t0 = time.perf_counter()
        n = facts.backfill(ANCHOR)
        t1 = time.perf_counter()
        rows = rollup.rebuild_all()
        t2 = time.perf_counter()
        build = {"reused": False, "facts": n, "facts_s": round(t1 - t0, 1),
                 "rollup_rows": rows, "rollup_s": round(t2 - t1, 1)}  # fmt: skip
    span = month_of(ANCHOR.date().replace(day=1) - timedelta(days=1))
    # a ranking by 三率 (the composite and its three parts), as the page computes it
    fs = rankings.only(rankings.formulas(), ["three_rates"])
    reps = ctx.reps

    def ranking(rank: set[str] | None = None) -> dict:
        return rankings.ranked_tuples(
            rankings.DIMS, COUNTY_CODE, span, fs, False, span.previous(), rank_codes=rank
        )

    result = ranking({"three_rates"})
    sizes = {dim: len(rows) for dim, (_fs, rows) in result.items()}
    ranked = _measure(lambda: ranking({"three_rates"}), reps)
    four = _measure(ranking, reps)
    admin = User.objects.filter(username="bench-admin").first()
    page: dict[str, Any] = {}
    if admin is not None:
        page["grid_worker_page_1"] = _measure(
            lambda: rankings.ranking_page(admin, span, "grid_worker", "three_rates"), reps
        )
        page["grid_worker_search"] = _measure(
            lambda: rankings.ranking_page(admin, span, "grid_worker", "three_rates", "网格"),
            reps,
        )
    every = _measure(lambda: rankings.compute_all(COUNTY_CODE, span, fs, with_counts=False), 3)
    moved: dict[str, Any] = {}
    one = (
        Case.objects.filter(created_at__date__gte=span.start, created_at__date__lte=span.end)
        .exclude(status__in=facts.NOT_COUNTED)
        .values_list("pk", flat=True)
        .first()
    )
    if one is not None:
        samples, cpu = [], 0.0
        for _ in range(3):
            DirtyCase.objects.create(case_id=one)
            c0, t0 = _process_cpu(), time.perf_counter()
            rollup.refresh_dirty()
            samples.append(time.perf_counter() - t0)
            cpu += _process_cpu() - c0
        moved = {**percentiles(samples), "cpu_ms_process": round(cpu * 1000 / 3, 1),
                 "load_1min": round(os.getloadavg()[0], 2)}  # fmt: skip
    month_rows = DailyRollup.objects.filter(grain="m", day=span.start).count()
    unit_rows = UnitMonth.objects.filter(month=span.start).count()
    judged = not ctx.quick
    return {
        "function": "jiceng.assessment.rankings.ranked_tuples",
        "cases": cases,
        "period": span.label,
        "ranked": sizes,
        "month_rollup_rows": month_rows,
        "unit_month_rows": unit_rows,
        "build": build,
        **ranked,
        "four_ranks": four,
        "page": page,
        "compute_all": every,
        "after_move": moved,
        "targets": [
            target(
                "monthly ranking, all streets/villages/departments/grid workers + previous month",
                "≤ 1 s at 1 M cases (PostgreSQL)",
                ranked.get("p95_ms"),
                ranked.get("p95_ms", 1e9) <= 1000 if judged else None,
                "" if judged else "quick mode: not judged",
            )
        ],
    }
