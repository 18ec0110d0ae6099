"""Rollups: Σ of CaseFact counts per day and per month, area rows and unit rows
(see models.DailyRollup). A ranking reads these, never the cases: whole months of a span
from month rows, the remaining days from day rows.

Days marked dirty by `facts.refresh` are rebuilt whole from CaseFact, then the month rows
of their months are rebuilt from the day rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from jiceng.assessment import unit_months
from jiceng.assessment.models import COUNT_NAMES, CaseFact, DailyRollup, DirtyDay, UnitMonth
from jiceng.assessment.periods import Span, month_of

AREA_KEY = ("region_code", "street_code", "village_code", "reason")
COUNTY_LEN = 6


def _acc(out: dict, key: tuple) -> dict[str, float]:
    acc = out.get(key)
    if acc is None:
        acc = out[key] = dict.fromkeys(COUNT_NAMES, 0)
        acc["cases"] = 0
    return acc


def aggregate(facts: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, float]]:
    """Facts → {(day, region, street, village, unit_id, reason): counts + cases}.

    Area rows (unit None) take the case's counts and the dispatch ratings of its area;
    unit rows (region = county) take the case's counts for its lead unit and report-in
    calls for each summoned department."""
    out: dict[tuple, dict[str, float]] = {}
    for f in facts:
        day, reason = f["day"], f["reason"]
        area = _acc(out, (day, f["region_code"], f["street_code"], f["village_code"], None,
                          reason))  # fmt: skip
        area["cases"] += 1
        county = f["region_code"][:COUNTY_LEN]
        unit = _acc(out, (day, county, "", "", f["unit_id"], reason)) if f["unit_id"] else None
        if unit is not None:
            unit["cases"] += 1
        for n in COUNT_NAMES:
            v = f[n]
            if v:
                area[n] += v
                if unit is not None:
                    unit[n] += v
        for unit_id, counts in f.get("extra_units") or []:
            if any(n.startswith("dispatch_") for n in counts):
                for n, v in counts.items():
                    area[n] += v
            else:
                acc = _acc(out, (day, county, "", "", unit_id, reason))
                for n, v in counts.items():
                    acc[n] += v
    return out


KEY = ("region_code", "street_code", "village_code", "unit_id", "reason")


def rebuild_days(days: Iterable[date]) -> int:
    """Rebuild the day rows of these days from CaseFact, then their months' rows.
    PostgreSQL: set-based (`_rebuild_days_sql`, the statements of `rebuild_all` limited to
    these days) — the worker's pass marks the days of every case it moved, often most of
    the year, and the Python rebuild read every fact of those days."""
    days = sorted(set(days))
    if connection.vendor == "postgresql" and days:
        return _rebuild_days_sql(days)
    written = 0
    for i in range(0, len(days), 7):
        chunk = days[i : i + 7]
        facts = CaseFact.objects.filter(day__in=chunk).values(
            "day", *AREA_KEY, "unit_id", "extra_units", *COUNT_NAMES
        )
        agg = aggregate(facts.iterator(chunk_size=5000))
        rows = [
            DailyRollup(grain=DailyRollup.DAY, day=k[0], **dict(zip(KEY, k[1:], strict=True)), **v)
            for k, v in agg.items()
        ]
        with transaction.atomic():
            DailyRollup.objects.filter(grain=DailyRollup.DAY, day__in=chunk).delete()
            DailyRollup.objects.bulk_create(rows, batch_size=2000)
            DirtyDay.objects.filter(day__in=chunk).delete()
        written += len(rows)
    for start in sorted({month_of(d).start for d in days}):
        written += rebuild_month(start)
    return written


def rebuild_month(start: date) -> int:
    """The month rows of one month, summed from its day rows by the database (one
    INSERT … SELECT; was a read of every row into Python and a bulk insert back, seconds
    at 34,000 rows a month), then the month's pre-summed ranking rows (unit_months)."""
    span = month_of(start)
    t = DailyRollup._meta.db_table
    cols = ", ".join(COUNT_NAMES)
    sums = ", ".join(f"SUM({n})" for n in COUNT_NAMES)
    key = ", ".join(KEY)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {t} WHERE grain = %s AND day = %s", [DailyRollup.MONTH, start])
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT %s, %s, {key}, SUM(cases), {sums} FROM {t} "
            f"WHERE grain = %s AND day >= %s AND day <= %s GROUP BY {key}",
            [DailyRollup.MONTH, start, DailyRollup.DAY, span.start, span.end],
        )
        n = cur.rowcount
        unit_months.build([span.start])  # the rankings' rows, in the same transaction
    return n


def refresh_dirty() -> int:
    """Recompute the facts of moved cases, then rebuild every day marked dirty (called
    before a ranking, a working page or a scorecard is read)."""
    from jiceng.assessment.facts import refresh_moved

    refresh_moved()
    days = list(DirtyDay.objects.values_list("day", flat=True))
    return rebuild_days(days) if days else 0


def rebuild_all() -> int:
    """Every rollup row from CaseFact (after a backfill). PostgreSQL: set-based."""
    if connection.vendor == "postgresql":
        return _rebuild_all_sql()
    days = list(CaseFact.objects.values_list("day", flat=True).distinct())
    DailyRollup.objects.exclude(day__in=days).delete()
    return rebuild_days(days)


def _rebuild_all_sql() -> int:
    """`rebuild_all` in a few statements: day rows grouped from CaseFact (area rows, lead-unit
    rows), the few facts with report-in calls or dispatch ratings added in Python
    (`aggregate` on just those), then the month rows grouped from the day rows."""
    t, f = DailyRollup._meta.db_table, CaseFact._meta.db_table
    cols = ", ".join(COUNT_NAMES)
    sums = ", ".join(f"SUM({n})" for n in COUNT_NAMES)
    key = "region_code, street_code, village_code, unit_id, reason"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(f"DELETE FROM {t}")
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT 'd', day, region_code, street_code, village_code, NULL, reason, COUNT(*), "
            f"{sums} FROM {f} GROUP BY day, region_code, street_code, village_code, reason"
        )
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT 'd', day, SUBSTR(region_code, 1, {COUNTY_LEN}), '', '', unit_id, reason, "
            f"COUNT(*), {sums} FROM {f} WHERE unit_id IS NOT NULL "
            f"GROUP BY day, SUBSTR(region_code, 1, {COUNTY_LEN}), unit_id, reason"
        )
        _add_extra_units()
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT 'm', DATE_TRUNC('month', day)::date, {key}, SUM(cases), {sums} FROM {t} "
            f"WHERE grain = 'd' GROUP BY DATE_TRUNC('month', day)::date, {key}"
        )
        unit_months.build_all()
        DirtyDay.objects.all().delete()
        cur.execute(f"SELECT COUNT(*) FROM {t}")
        n = cur.fetchone()[0]
    with connection.cursor() as cur:  # fresh statistics: the ranking's plan counts rows
        cur.execute(f"ANALYZE {t}")
        cur.execute(f"ANALYZE {UnitMonth._meta.db_table}")
    return n


def _rebuild_days_sql(days: list[date]) -> int:
    """`rebuild_days` in a few statements (PostgreSQL): the day rows of `days` grouped from
    CaseFact as `_rebuild_all_sql` groups them, the extras of their facts, then the month
    rows of their months grouped from the day rows. Returns the rows written."""
    t, f = DailyRollup._meta.db_table, CaseFact._meta.db_table
    cols = ", ".join(COUNT_NAMES)
    sums = ", ".join(f"SUM({n})" for n in COUNT_NAMES)
    key = "region_code, street_code, village_code, unit_id, reason"
    written = 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(f"DELETE FROM {t} WHERE grain = 'd' AND day = ANY(%s)", [days])
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT 'd', day, region_code, street_code, village_code, NULL, reason, COUNT(*), "
            f"{sums} FROM {f} WHERE day = ANY(%s) "
            "GROUP BY day, region_code, street_code, village_code, reason",
            [days],
        )
        written += cur.rowcount
        cur.execute(
            f"INSERT INTO {t} (grain, day, {key}, cases, {cols}) "
            f"SELECT 'd', day, SUBSTR(region_code, 1, {COUNTY_LEN}), '', '', unit_id, reason, "
            f"COUNT(*), {sums} FROM {f} WHERE unit_id IS NOT NULL AND day = ANY(%s) "
            f"GROUP BY day, SUBSTR(region_code, 1, {COUNTY_LEN}), unit_id, reason",
            [days],
        )
        written += cur.rowcount
        _add_extra_units(days)
        DirtyDay.objects.filter(day__in=days).delete()
        # the month rows of their months and their pre-summed ranking rows, in the same
        # transaction (`rebuild_month`: the rankings read unit_months, not the day rows)
        for start in sorted({month_of(d).start for d in days}):
            written += rebuild_month(start)
    return written


def _add_extra_units(days: list[date] | None = None) -> None:
    """The report-in calls and dispatch ratings of the facts that carry them, added to the
    day rows (rows are read, summed in Python and written back); `days`: only these."""
    extra = CaseFact.objects.exclude(extra_units=[])
    if days is not None:
        extra = extra.filter(day__in=days)
    extra = extra.values("day", *AREA_KEY, "unit_id", "extra_units", *COUNT_NAMES)
    facts = []
    for fact in extra.iterator(chunk_size=5000):
        # only the extras: the fact's own counts are in the grouped rows already
        fact.update(dict.fromkeys(COUNT_NAMES, 0))
        facts.append(fact)
    if not facts:
        return
    add = aggregate(facts)
    for k, v in add.items():
        row, _ = DailyRollup.objects.get_or_create(
            grain=DailyRollup.DAY, day=k[0], **dict(zip(KEY, k[1:], strict=True))
        )
        for n in COUNT_NAMES:
            setattr(row, n, getattr(row, n) + v[n])
        row.save()


def span_filter(span: Span) -> Q:
    """Rows covering a span: month rows for its whole months, day rows for the rest."""
    months: list[date] = []
    day_ranges: list[tuple[date, date]] = []
    d = span.start
    while d <= span.end:
        m = month_of(d)
        if m.start == d and m.end <= span.end:
            months.append(d)
            d = m.end + timedelta(days=1)
        else:
            end = min(m.end, span.end)
            day_ranges.append((d, end))
            d = end + timedelta(days=1)
    q = Q(pk__in=[])
    if months:
        q |= Q(grain=DailyRollup.MONTH, day__in=months)
    for a, b in day_ranges:
        q |= Q(grain=DailyRollup.DAY, day__gte=a, day__lte=b)
    return q
