"""Bench section `assessment`: a monthly ranking of every street, village, department and
grid worker of the 1 M-case county, with the previous month joined (the page's work),
read from the rollups. Target: ≤ 1 s (issue 13).

The facts of every case and the rollups are built once (timed and reported, not judged:
in production they follow the moves one case at a time) and reused while the number of
facts equals the number of cases.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from jiceng.bench.params import ANCHOR, COUNTY_CODE
from jiceng.bench.sections import Context, target, timed
from jiceng.bench.util import percentiles


def section(ctx: Context) -> dict[str, Any]:
    ctx.need_part("cases")
    from jiceng.assessment import facts, rankings, rollup
    from jiceng.assessment.metrics import ensure_defaults
    from jiceng.assessment.models import CaseFact, DailyRollup
    from jiceng.assessment.periods import month_of
    from jiceng.cases.models import Case

    ensure_defaults()
    cases = Case.objects.count()
    counted = Case.objects.exclude(status__in=facts.NOT_COUNTED).count()
    build: dict[str, Any] = {"reused": True, "facts": counted}
    if CaseFact.objects.count() != counted or not DailyRollup.objects.exists():
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

    def run() -> dict:
        return rankings.compute_all(COUNTY_CODE, span, fs, with_counts=False)

    result = run()
    samples = timed(run, ctx.reps)
    p = percentiles(samples)
    sizes = {dim: len(rows) for dim, rows in result.items()}
    month_rows = DailyRollup.objects.filter(grain="m", day=span.start).count()
    judged = not ctx.quick
    return {
        "function": "jiceng.assessment.rankings.compute_all",
        "cases": cases,
        "period": span.label,
        "ranked": sizes,
        "month_rollup_rows": month_rows,
        "build": build,
        **p,
        "targets": [
            target(
                "monthly ranking, all streets/villages/departments/grid workers + previous month",
                "≤ 1 s at 1 M cases (PostgreSQL)",
                p.get("p95_ms"),
                p.get("p95_ms", 1e9) <= 1000 if judged else None,
                "" if judged else "quick mode: not judged",
            )
        ],
    }
