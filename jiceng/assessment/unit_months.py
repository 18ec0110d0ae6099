"""The pre-summed month rows of the rankings (models.UnitMonth, decision 0086).

`build(months)` replaces the UnitMonth rows of those months from the month rows of
DailyRollup, in one INSERT … SELECT of grouped selects (portable SQL: PostgreSQL and
SQLite). It runs inside the transaction that rebuilt the month rows (rollup.rebuild_month,
rollup.rebuild_all), so the two never disagree.

Rows per month: for each street, village, grid-level region code (area rows) and each
unit (unit rows) one row with all reasons summed (reason "*") and one row per non-empty
exclusion reason its cases carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection

from jiceng.assessment.models import COUNT_NAMES, DailyRollup, UnitMonth

COUNTY_LEN = 6
GRID_LEN = 15  # a code of grid level or below (the old ranking's '^\d{15}')

# kind of unit → (key expression, the rows it is summed from)
KINDS: list[tuple[str, str, str]] = [
    ("street", "street_code", "unit_id IS NULL AND street_code <> ''"),
    ("village", "village_code", "unit_id IS NULL AND village_code <> ''"),
    ("grid", "region_code", f"unit_id IS NULL AND LENGTH(region_code) >= {GRID_LEN}"),
    ("unit", "CAST(unit_id AS TEXT)", "unit_id IS NOT NULL"),
]


def _select(kind: str, key: str, where: str, by_reason: bool, marks: str) -> str:
    sums = ", ".join(f"SUM({n})" for n in COUNT_NAMES)
    county = f"SUBSTR(region_code, 1, {COUNTY_LEN})"
    reason = "reason" if by_reason else f"'{UnitMonth.ALL}'"
    extra = " AND reason <> ''" if by_reason else ""
    group = f"day, {county}, {key}" + (", reason" if by_reason else "")
    return (
        f"SELECT day, {county}, '{kind}', {key}, {reason}, SUM(cases), {sums} "
        f"FROM {DailyRollup._meta.db_table} WHERE grain = 'm' AND day IN ({marks}) "
        f"AND {where}{extra} GROUP BY {group}"
    )


def build(months: Iterable[date]) -> int:
    """Replace the UnitMonth rows of these months (first days) from the month rows.
    Call inside the transaction that wrote the month rows. Returns the rows written."""
    months = sorted(set(months))
    if not months:
        return 0
    t = UnitMonth._meta.db_table
    marks = ", ".join(["%s"] * len(months))
    parts = [
        _select(kind, key, where, by_reason, marks)
        for kind, key, where in KINDS
        for by_reason in (False, True)
    ]
    cols = ", ".join(COUNT_NAMES)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {t} WHERE month IN ({marks})", months)
        cur.execute(
            f"INSERT INTO {t} (month, county, dim, key, reason, cases, {cols}) "
            + " UNION ALL ".join(parts),
            months * len(parts),
        )
        return cur.rowcount


def build_all() -> int:
    """Every month that has month rows (after a migration or a full rebuild)."""
    months = DailyRollup.objects.filter(grain=DailyRollup.MONTH).values_list("day", flat=True)
    UnitMonth.objects.all().delete()
    return build(months.distinct().order_by())
